package dev.byoos.worker.service;

import java.io.UncheckedIOException;
import java.util.Map;

import dev.byoos.contract.BuildFailed;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.worker.builder.core.BuildException;

/**
 * Sorts what stopped a build into the categories of {@code build.failed}: the spec's content
 * ({@value BuildFailed#SPEC}: fix the spec, retrying cannot help), a dependency of the worker
 * ({@value BuildFailed#INFRASTRUCTURE}: the worker retries with backoff, unless the worker's own
 * setup is what an operator has to change), or a bug in the
 * factory itself ({@value BuildFailed#BUILDER}).
 *
 * <p>A failed attempt leaves as {@link Failure#asAttemptFailure}: a retryable failure is the
 * factory's transient kind, a {@link DependencyUnavailableException} naming what the build waits
 * for, so that {@link dev.byoos.messaging.resilience.DependencyWait} retries it and
 * {@link dev.byoos.messaging.resilience.DependencyFailures} tells it apart; every other failure is
 * permanent.
 */
final class FailureClassifier {

    static final String NO_SPACE = "No space left on device";
    static final String DISK_FULL = "DISK_FULL";
    static final String BUILDER_ERROR = "BUILDER_ERROR";

    /** What a build waits for while it retries after an infrastructure failure with this code. */
    private static final Map<String, String> DEPENDENCY_BY_CODE = Map.of(
            "STORAGE_UNAVAILABLE", "s3",
            "DEBOOTSTRAP_FAILED", "mirror",
            "BASE_DOWNLOAD_FAILED", "mirror",
            "PACKAGE_MIRROR_UNREACHABLE", "mirror",
            "INSUFFICIENT_DISK", "disk",
            "REGISTRY_UNAVAILABLE", "registry",
            "REGISTRY_AUTH_FAILED", "registry",
            "REGISTRY_NOT_CONFIGURED", "registry",
            "KUBERNETES_MIRROR_UNAVAILABLE", "kubernetes-mirror",
            DISK_FULL, "disk");

    private FailureClassifier() {
    }

    /**
     * @param retryable  whether trying again may succeed (the worker retries these itself)
     * @param dependency what the build waits for before retrying, e.g. {@code s3}
     */
    record Failure(String category, String code, String reason, boolean retryable, String dependency) {

        /** What an attempt that failed this way throws; {@code cause} is what the builder threw. */
        RuntimeException asAttemptFailure(Throwable cause) {
            return retryable ? new DependencyDown(this, cause) : new PermanentFailure(this, cause);
        }
    }

    /** The failure of an attempt that ended with {@link Failure#asAttemptFailure}. */
    static Failure of(RuntimeException attemptFailure) {
        if (attemptFailure instanceof DependencyDown down) {
            return down.failure;
        }
        if (attemptFailure instanceof PermanentFailure permanent) {
            return permanent.failure;
        }
        return classify(attemptFailure);
    }

    /** An attempt failed because something the worker depends on is down: transient, retried after a pause. */
    static final class DependencyDown extends DependencyUnavailableException {

        private final transient Failure failure;

        DependencyDown(Failure failure, Throwable cause) {
            super(failure.dependency(), failure.code() + ": " + failure.reason(), cause);
            this.failure = failure;
        }
    }

    /** An attempt failed for a reason trying again cannot fix. */
    static final class PermanentFailure extends RuntimeException {

        private final transient Failure failure;

        PermanentFailure(Failure failure, Throwable cause) {
            super(failure.code() + ": " + failure.reason(), cause);
            this.failure = failure;
        }
    }

    static Failure classify(RuntimeException failure) {
        if (mentionsFullDisk(failure)) {
            return infrastructure(DISK_FULL, "the worker's disk filled up during the build: " + failure.getMessage());
        }
        if (failure instanceof BuildException build) {
            return switch (build.kind()) {
                case BAD_INPUT -> new Failure(BuildFailed.SPEC, build.code(), build.getMessage(), false, null);
                case INFRASTRUCTURE -> infrastructure(build.code(), build.getMessage());
                case BUILDER -> new Failure(BuildFailed.BUILDER, build.code(), build.getMessage(), false, null);
                // The operator's to fix: infrastructure, but the same setup would fail the same way again.
                case WORKER_SETUP -> new Failure(BuildFailed.INFRASTRUCTURE, build.code(), build.getMessage(), false,
                        null);
            };
        }
        if (failure instanceof UncheckedIOException io) {
            return infrastructure("WORKER_IO", "the worker could not read or write its scratch space: " + io.getMessage());
        }
        return new Failure(BuildFailed.BUILDER, BUILDER_ERROR, "the worker failed unexpectedly ("
                + failure.getClass().getSimpleName() + ": " + failure.getMessage()
                + "); this is a bug in BYOOS Factory, not in the spec: report it with the build id", false, null);
    }

    private static Failure infrastructure(String code, String reason) {
        return new Failure(BuildFailed.INFRASTRUCTURE, code, reason, true,
                DEPENDENCY_BY_CODE.getOrDefault(code, "worker"));
    }

    /** ENOSPC looks the same whether Java or a tool (mke2fs, cp, qemu-img) met it. */
    private static boolean mentionsFullDisk(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains(NO_SPACE)) {
                return true;
            }
        }
        return false;
    }
}
