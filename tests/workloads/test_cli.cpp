// test_cli.cpp — placeholder being written
#include <gtest/gtest.h>
