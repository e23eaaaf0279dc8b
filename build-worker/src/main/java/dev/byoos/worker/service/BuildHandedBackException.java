package dev.byoos.worker.service;

/**
 * The worker stopped (SIGTERM) before the build finished: the build was stopped and its lease given
 * up ({@link LeaseClaim.State#HANDED_BACK}); its request must stay unacknowledged, so that the next
 * worker builds it at once as the next attempt.
 */
public class BuildHandedBackException extends RuntimeException {

    BuildHandedBackException(String buildId, String why) {
        super("build " + buildId + " handed back: " + why);
    }
}
