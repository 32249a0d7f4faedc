#include <criterion/criterion.h>
Test(sip, placeholder) { cr_assert(1); }
