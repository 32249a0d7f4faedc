#include <criterion/criterion.h>
Test(policy, placeholder) { cr_assert(1); }
