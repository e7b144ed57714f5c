// The simulator's main program: the Verilated SoC under cocotb.
//
// It keeps the contract cocotb's VPI layer expects of a Verilator main (start-of-sim,
// value-change, read-write, read-only, next-sim-time and timed callbacks, run in that
// order within each time slot, IEEE 1800 section 4.4), and adds what zerovisor needs:
//
//   --trace-file F       write a waveform (VCD or FST, as the model was built)
//   --trace-from T       ... starting at simulation time T (precision units, default 0)
//   --trace-to T         ... up to time T (default: the end), then close the file
//
// so that a user opens a few thousand cycles instead of a whole boot. The clock is toggled
// here, every ZV_HALF_PERIOD (the model is built without Verilator's timing scheduler,
// whose coroutines cost a sixth of a 1-hart model's time); Python runs only when one of
// its callbacks is due.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "Vtop.h"
#include "verilated.h"
#include "verilated_vpi.h"

#if VM_TRACE
#if VM_TRACE_FST
#include <verilated_fst_c.h>
using Trace = VerilatedFstC;
#else
#include <verilated_vcd_c.h>
using Trace = VerilatedVcdC;
#endif
#endif

extern "C" void vlog_startup_routines_bootstrap(void);

// $finish (cocotb ends a run with it) without Verilator's "- :0: Verilog $finish" line
// on the user's console (the model is built with VL_USER_FINISH).
void vl_finish(const char *, int, const char *) {
    Verilated::threadContextp()->gotFinish(true);
}

static vluint64_t now = 0;
double sc_time_stamp() { return (double)now; }

// Value-change callbacks may write signals, which may change values again: repeat until
// quiet.
static void settle() {
    while (VerilatedVpi::callValueCbs()) {
    }
}

static void finish() { VerilatedVpi::callCbs(cbEndOfSimulation); }

int main(int argc, char **argv) {
    std::string trace_file;
    vluint64_t trace_from = 0, trace_to = ~0ULL;
    for (int i = 1; i < argc; i++) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        if (arg == "--trace-file" && has_value) trace_file = argv[++i];
        else if (arg == "--trace-from" && has_value) trace_from = std::strtoull(argv[++i], nullptr, 0);
        else if (arg == "--trace-to" && has_value) trace_to = std::strtoull(argv[++i], nullptr, 0);
    }

    Verilated::commandArgs(argc, argv);
    auto top = std::make_unique<Vtop>("");
    Verilated::fatalOnVpiError(false);   // cocotb probes names that may not exist

#if VM_TRACE
    // Opened now, so that a window beyond the run's end still leaves a (header-only) file.
    std::unique_ptr<Trace> trace;
    bool tracing_done = false;
    if (!trace_file.empty()) {
        Verilated::traceEverOn(true);
        trace = std::make_unique<Trace>();
        top->trace(trace.get(), 99);
        trace->open(trace_file.c_str());
    }
#else
    if (!trace_file.empty()) {
        std::fprintf(stderr, "zerovisor: this model was built without tracing\n");
        return 2;
    }
#endif

    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void *) { finish(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle();

    // The clock is low from time 0 and changes at every half period: it rises at H, 3H...
    vluint64_t next_edge = ZV_HALF_PERIOD;
    while (!Verilated::gotFinish()) {
        // Active and inactive regions until nothing more happens in this slot, with the
        // read-write callbacks (cocotb's ReadWrite) after each round.
        do {
            do {
                top->eval_step();
                VerilatedVpi::clearEvalNeeded();
                VerilatedVpi::doInertialPuts();
                settle();
            } while (VerilatedVpi::evalNeeded());
            // (Where no callback ran, no Python ran: nothing changed, nothing to settle.
            // Settling walks every value-change callback; it is most of this loop's cost.)
            if (VerilatedVpi::callCbs(cbReadWriteSynch)) {
                VerilatedVpi::doInertialPuts();
                settle();
            }
        } while (VerilatedVpi::evalNeeded());
        top->eval_end_step();
        VerilatedVpi::callCbs(cbReadOnlySynch);

#if VM_TRACE
        if (trace && !tracing_done && now >= trace_from) {
            if (now <= trace_to) {
                trace->dump(now);
            } else {
                trace->close();
                tracing_done = true;
            }
        }
#endif
        // The next slot: the clock's next edge or Python's next timer.
        vluint64_t next = VerilatedVpi::cbNextDeadline();
        if (next_edge < next) next = next_edge;
        now = next;
        Verilated::threadContextp()->time(now);

        if (VerilatedVpi::callCbs(cbNextSimTime)) settle();
        if (VerilatedVpi::callCbs(cbAfterDelay)) settle();   // Python's timers
        // The edge after Python's timers, as an HDL clock's would come in the active
        // region: its value-change callbacks run after the evaluation, in the loop above.
        if (now == next_edge) {
            top->clk = !top->clk;
            next_edge += ZV_HALF_PERIOD;
        }
    }

    top->final();
    finish();
#if VM_TRACE
    if (trace && !tracing_done) trace->close();
#endif
    return Verilated::threadContextp()->errorCount() > 0 ? 1 : 0;
}
