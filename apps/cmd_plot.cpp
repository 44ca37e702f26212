// cmd_plot.cpp — placeholder replaced below
extern "C" int rr_cmd_plot(int argc, char** argv) { (void)argc; (void)argv; return 1; }
