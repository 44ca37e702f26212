// test_model.cpp — placeholder being written
#include <gtest/gtest.h>
