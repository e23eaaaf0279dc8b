package dev.byoos.worker.service;

/**
 * A build request whose coordinates differ from those an earlier attempt of the same build id
 * built: forged or corrupted (spec-service repeats a request only as it was). Nothing is built or
 * announced for it; its consumer dead-letters it, and the build goes on under its first request.
 */
public class RequestContradictsBuildException extends RuntimeException {

    public RequestContradictsBuildException(String buildId, long earlierAttempt) {
        super("build " + buildId + ": this request's coordinates differ from those attempt " + earlierAttempt
                + " built; a build id names one request, so this one is refused (nothing built or announced)");
    }
}
