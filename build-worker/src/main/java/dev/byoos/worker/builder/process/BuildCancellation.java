package dev.byoos.worker.builder.process;

import java.util.ArrayList;
import java.util.List;

/**
 * The cancellation state of one running build. The build checks it between steps; cancelling also
 * kills the process tree of the command the build is running at that moment, so a long tool or
 * script does not keep the build alive after the user gave up on it. Work a build runs beside its
 * main line (the boot test, while the image is written) gets a {@link #child()}: cancelling the
 * build cancels it too, and it can be stopped on its own.
 */
public final class BuildCancellation {

    private boolean cancelled;
    private boolean timedOut;
    private boolean handedBack;
    private Process running;
    private final List<BuildCancellation> children = new ArrayList<>();

    public synchronized void cancel() {
        cancelled = true;
        if (running != null) {
            ProcessTree.kill(running);
        }
        children.forEach(BuildCancellation::cancel);
    }

    /** A cancellation for work running beside the build's own commands; cancelled with the build. */
    public synchronized BuildCancellation child() {
        BuildCancellation child = new BuildCancellation();
        if (cancelled) {
            child.cancel();
        }
        children.add(child);
        return child;
    }

    /**
     * Stops the build because it ran out of time: it stops the way a cancelled build does, but the
     * worker reports it as failed ({@link #timedOut()}) rather than keeping quiet.
     */
    public synchronized void timeOut() {
        timedOut = true;
        cancel();
    }

    /**
     * Stops the build because its worker shuts down: it stops the way a cancelled build does, but the
     * worker neither reports it nor acknowledges its request, so the next worker builds it.
     */
    public synchronized void handBack() {
        handedBack = true;
        cancel();
    }

    /** Whether the build was stopped by {@link #handBack()}. */
    public synchronized boolean handedBack() {
        return handedBack;
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
