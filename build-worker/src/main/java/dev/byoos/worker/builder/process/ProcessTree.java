package dev.byoos.worker.builder.process;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Kills a command together with everything it started. */
final class ProcessTree {

    private ProcessTree() {
    }

    static void kill(Process process) {
        // Listed before the kill: once the parent dies its children are re-parented and no longer
        // show up as its descendants.
        List<ProcessHandle> descendants = process.descendants().toList();
        killGroup(process.pid());
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Scripts run as the leader of their own process group (see {@link CommandRunner#runScript}):
     * one signal to the group also reaches children forked after the list above was taken. For a
     * command that leads no group the signal finds nothing, which is harmless.
     */
    private static void killGroup(long leader) {
        try {
            Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + leader)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            kill.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // kill(1) missing: the direct and listed descendants above are still killed.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
