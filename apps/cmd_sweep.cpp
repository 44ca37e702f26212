// cmd_sweep.cpp — placeholder replaced below
extern "C" int rr_cmd_sweep(int argc, char** argv) { (void)argc; (void)argv; return 1; }
