#include <criterion/criterion.h>
Test(bans, placeholder) { cr_assert(1); }
