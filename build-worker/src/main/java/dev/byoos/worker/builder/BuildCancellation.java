package dev.byoos.worker.builder;

/**
 * The cancellation state of one running build. The build checks it between steps; cancelling also
 * kills the process tree of the command the build is running at that moment, so a long tool or
 * script does not keep the build alive after the user gave up on it.
 */
public final class BuildCancellation {

    private boolean cancelled;
    private Process running;

    public synchronized void cancel() {
        cancelled = true;
        if (running != null) {
            ProcessTree.kill(running);
        }
    }

    public synchronized boolean isCancelled() {
        return cancelled;
    }

    /** @throws BuildCancelledException once the build was cancelled */
    public void throwIfCancelled() {
        if (isCancelled()) {
            throw new BuildCancelledException();
        }
    }

    /** Records the command now running; one cancelled before it started is killed at once. */
    synchronized void attach(Process process) {
        running = process;
        if (cancelled) {
            ProcessTree.kill(process);
        }
    }

    synchronized void detach(Process process) {
        if (running == process) {
            running = null;
        }
    }
}
