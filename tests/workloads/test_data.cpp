// test_data.cpp — placeholder being written
#include <gtest/gtest.h>
