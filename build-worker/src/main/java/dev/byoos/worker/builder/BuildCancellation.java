package dev.byoos.worker.builder;

/**
 * The cancellation state of one running build. The build checks it between steps; cancelling also
 * kills the process tree of the command the build is running at that moment, so a long tool or
 * script does not keep the build alive after the user gave up on it.
 */
public final class BuildCancellation {

    private boolean cancelled;
    private boolean timedOut;
    private Process running;

    public synchronized void cancel() {
        cancelled = true;
        if (running != null) {
            ProcessTree.kill(running);
        }
    }

    /**
     * Stops the build because it ran out of time: it stops the way a cancelled build does, but the
     * worker reports it as failed ({@link #timedOut()}) rather than keeping quiet.
     */
    public synchronized void timeOut() {
        timedOut = true;
        cancel();
    }

    /** Whether the build was stopped by {@link #timeOut()} rather than by its user. */
    public synchronized boolean timedOut() {
        return timedOut;
    }

    /** Whether the build must stop: cancelled by its user, or out of time. */
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
