// A native driver for the same Verilated model that cocotb runs: no Python, the clock
// toggled here as sim_main.cpp does. It exists to measure how fast the model itself
// runs, beside the cocotb figure (bench/sim_speed.py).
//
// usage: zv_native LOADFILE MAX_CYCLES
//   LOADFILE: lines "@path.of.mem" (below the top), then "index word" in hex.
// Prints the UART's output; the last line on stderr is
//   "stopped <reason> code <code> cycles <n> seconds <s>".
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "Vtop.h"
#include "Vtop___024root.h"
#include "verilated.h"
#include "verilated_vpi.h"

// $finish (cocotb ends a run with it) without Verilator's "- :0: Verilog $finish" line
// on the user's console (the model is built with VL_USER_FINISH).
void vl_finish(const char *, int, const char *) {
    Verilated::threadContextp()->gotFinish(true);
}

static vpiHandle handle(const std::string &name) {
    vpiHandle h = vpi_handle_by_name(const_cast<char *>(name.c_str()), nullptr);
    if (!h) {
        std::fprintf(stderr, "zv_native: no signal %s\n", name.c_str());
        std::exit(2);
    }
    return h;
}

static unsigned long long get(vpiHandle h) {
    s_vpi_value v;
    v.format = vpiVectorVal;
    vpi_get_value(h, &v);
    unsigned long long value = (PLI_UINT32)v.value.vector[0].aval;
    if (vpi_get(vpiSize, h) > 32) value |= (unsigned long long)v.value.vector[1].aval << 32;
    return value;
}

static void put(vpiHandle h, unsigned long long value) {
    s_vpi_vecval vec[2] = {{(PLI_UINT32)(value & 0xffffffffu), 0},
                           {(PLI_UINT32)(value >> 32), 0}};
    s_vpi_value v;
    v.format = vpiVectorVal;
    v.value.vector = vec;
    vpi_put_value(h, &v, nullptr, vpiNoDelay);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s LOADFILE MAX_CYCLES\n", argv[0]);
        return 2;
    }
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vtop>(ctx.get(), "");
    const std::string root = "zv_sim.";
    // The first evaluation runs the initial blocks (max_cycles' initial value among them):
    // write the inputs after it, as cocotb does.
    top->eval();

    FILE *load = std::fopen(argv[1], "r");
    if (!load) {
        std::perror(argv[1]);
        return 2;
    }
    char line[512];
    vpiHandle mem = nullptr;
    while (std::fgets(line, sizeof line, load)) {
        if (line[0] == '@') {
            line[std::strcspn(line, "\r\n")] = 0;
            mem = handle(root + (line + 1));
            continue;
        }
        unsigned long index, word;
        if (mem && std::sscanf(line, "%lx %lx", &index, &word) == 2)
            put(vpi_handle_by_index(mem, (PLI_INT32)index), word);
    }
    std::fclose(load);
    put(handle(root + "max_cycles"), std::strtoull(argv[2], nullptr, 0));

    // The wrapper's outputs, read straight from the model in the loop (they are public:
    // Verilator keeps them under these names). Two VPI reads a cycle were some 1,600 host
    // instructions of a 4-hart cycle's 38,000 (bench/sim_profile.py), 7 % of its time.
    const Vtop___024root *state = top->rootp;
    auto start = std::chrono::steady_clock::now();
    // The clock starts low and rises at every odd half period, as sim_main.cpp drives it;
    // the harness's events are looked at after each rising edge.
    while (!ctx->gotFinish()) {
        top->clk = 1;
        ctx->timeInc(ZV_HALF_PERIOD);
        top->eval();
        if (state->zv_sim__DOT__uart_strobe & 1) std::putchar(state->zv_sim__DOT__uart_data);
        if (state->zv_sim__DOT__stopped & 1) break;
        top->clk = 0;
        ctx->timeInc(ZV_HALF_PERIOD);
        top->eval();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fflush(stdout);
    std::fprintf(stderr, "stopped %llu code %llu cycles %llu seconds %.3f\n",
                 get(handle(root + "stop_reason")), get(handle(root + "stop_code")),
                 get(handle(root + "cycles")), seconds);
    top->final();
    return 0;
}
