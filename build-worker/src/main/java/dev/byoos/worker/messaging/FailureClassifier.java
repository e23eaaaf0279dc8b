package dev.byoos.worker.messaging;

import java.io.UncheckedIOException;
import java.util.Map;

import dev.byoos.contract.BuildFailed;
import dev.byoos.worker.builder.core.BuildException;

/**
 * Sorts what stopped a build into the categories of {@code build.failed}: the spec's content
 * ({@value BuildFailed#SPEC}: fix the spec, retrying cannot help), a dependency of the worker
 * ({@value BuildFailed#INFRASTRUCTURE}: the worker retries with backoff, unless the worker's own
 * setup is what an operator has to change), or a bug in the
 * factory itself ({@value BuildFailed#BUILDER}).
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
