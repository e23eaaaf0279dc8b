package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

/**
 * {@value EventTypes#BUILD_FAILED} on {@value Topics#BUILDS_FAILED}: a stage gave up on a build.
 *
 * @param stage     {@code build}, {@code artifact} or {@code pack}
 * @param code      stable machine-readable reason, e.g. {@code CHECKSUM_MISMATCH}
 * @param reason    what a user can act on
 * @param retryable whether submitting the same spec again may succeed
 */
public record BuildFailed(BuildCoordinates build, String stage, String code, String reason, boolean retryable) {

    public BuildFailed {
        notNull(build, "build");
        notBlank(stage, "stage");
        notBlank(code, "code");
        notBlank(reason, "reason");
    }
}
