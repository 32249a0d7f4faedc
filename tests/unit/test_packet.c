#include <criterion/criterion.h>
Test(packet, placeholder) { cr_assert(1); }
