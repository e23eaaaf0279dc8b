package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

/**
 * {@value EventTypes#BUILD_PROGRESS} on {@value Topics#BUILDS_PROGRESS}: how far a stage is with a
 * build, sent at a bounded rate. Informational: losing one changes nothing, and a later one
 * supersedes it.
 *
 * @param stage      {@code build}, {@code artifact} or {@code pack}
 * @param phase      what the stage is doing, e.g. {@code base}, {@code layers}, {@code disk}, {@code boot-test}
 * @param percent    0..100 for the whole stage
 * @param waitingFor set while the stage waits for a dependency to come back (e.g. {@code s3},
 *                   {@code registry}); the build is not failing, it is waiting
 * @param detail     a line a person can read
 */
public record BuildProgress(BuildCoordinates build, String stage, String phase, int percent, String waitingFor,
        String detail) {

    public BuildProgress {
        notNull(build, "build");
        notBlank(stage, "stage");
        notBlank(phase, "phase");
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("percent must be between 0 and 100");
        }
    }
}
