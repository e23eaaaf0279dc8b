package dev.byoos.worker.builder.process;

/**
 * The build was cancelled while it ran. Not a {@link BuildException}: a cancelled build has no
 * outcome to announce (spec-service marked it cancelled already), so nothing is published.
 */
public class BuildCancelledException extends RuntimeException {

    public BuildCancelledException() {
        super("build cancelled");
    }
}
