package dev.byoos.spec;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The stages that report progress on a build, in pipeline order, each with the state a build is in
 * while that stage works on it. A stage's report is current until the build moves past that state.
 */
public enum PipelineStage {
    BUILD("build", BuildState.BUILDING),
    ARTIFACT("artifact", BuildState.BUILT),
    PACK("pack", BuildState.STORED);

    private final String id;
    private final BuildState workingState;

    PipelineStage(String id, BuildState workingState) {
        this.id = id;
        this.workingState = workingState;
    }

    /** The stage's name in events ({@code BuildProgress.stage}, {@code BuildFailed.stage}). */
    public String id() {
        return id;
    }

    public static Optional<PipelineStage> of(String id) {
        return Arrays.stream(values()).filter(stage -> stage.id.equals(id)).findFirst();
    }

    /**
     * Whether a build in {@code state} may still hear from this stage. Stages are consumed on topics
     * of their own, so a stage can report before the read model heard that the previous one finished.
     */
    public boolean isCurrentFor(BuildState state) {
        return !state.isTerminal() && state.ordinal() <= workingState.ordinal();
    }

    /** The non-terminal states in which this stage's reports are current. */
    public List<BuildState> statesWhileCurrent() {
        return Arrays.stream(BuildState.values()).filter(this::isCurrentFor).toList();
    }

    /** The stages before this one: a report from this stage supersedes theirs whatever its time. */
    public List<String> earlierStages() {
        return Arrays.stream(values()).filter(stage -> stage.ordinal() < ordinal()).map(PipelineStage::id).toList();
    }
}
