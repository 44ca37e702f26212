// test_kernels.cpp — placeholder being written
#include <gtest/gtest.h>
