#include <criterion/criterion.h>
Test(addr, placeholder) { cr_assert(1); }
