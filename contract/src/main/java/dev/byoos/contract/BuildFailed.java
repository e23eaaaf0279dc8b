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
 * @param category  (added after the first release) {@value #SPEC}: the spec's content cannot be
 *                  built, fix the spec; {@value #INFRASTRUCTURE}: a dependency failed and the stage
 *                  gave up after {@code attempts} tries; {@value #BUILDER}: a bug in the factory
 * @param attempts  how many times the stage tried (0 when unknown)
 */
public record BuildFailed(BuildCoordinates build, String stage, String code, String reason, boolean retryable,
        String category, int attempts) {

    public static final String SPEC = "spec";
    public static final String INFRASTRUCTURE = "infrastructure";
    public static final String BUILDER = "builder";

    public BuildFailed {
        notNull(build, "build");
        notBlank(stage, "stage");
        notBlank(code, "code");
        notBlank(reason, "reason");
        if (category != null && !java.util.Set.of(SPEC, INFRASTRUCTURE, BUILDER).contains(category)) {
            throw new IllegalArgumentException("category must be spec, infrastructure or builder");
        }
    }

    public BuildFailed(BuildCoordinates build, String stage, String code, String reason, boolean retryable) {
        this(build, stage, code, reason, retryable, null, 0);
    }
}
