#include <criterion/criterion.h>
Test(srctab, placeholder) { cr_assert(1); }
