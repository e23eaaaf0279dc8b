package dev.byoos.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Build state transitions: forward only, terminal states final (but for a cancel that came too late). */
class BuildStateTest {

    private static final Set<BuildState> TERMINAL = EnumSet.of(BuildState.PUBLISHED, BuildState.FAILED,
            BuildState.CANCELLED, BuildState.REUSED);

    @Test
    void statesAdvanceOnlyForward() {
        assertEquals(BuildState.BUILDING, BuildState.QUEUED.advanceTo(BuildState.BUILDING));
        assertEquals(BuildState.STORED, BuildState.BUILDING.advanceTo(BuildState.STORED), "a stage may be skipped");
        assertEquals(BuildState.BUILT, BuildState.BUILT.advanceTo(BuildState.BUILDING), "never backwards");
        assertEquals(BuildState.STORED, BuildState.STORED.advanceTo(BuildState.STORED));
    }

    @Test
    void terminalStatesNeverChangeButForACancelTheWorkerOvertook() {
        Set<BuildState> built = EnumSet.of(BuildState.BUILT, BuildState.STORED, BuildState.PUBLISHED);
        for (BuildState terminal : TERMINAL) {
            assertTrue(terminal.isTerminal(), terminal::name);
            for (BuildState next : BuildState.values()) {
                BuildState expected = terminal == BuildState.CANCELLED && built.contains(next) ? next : terminal;
                assertEquals(expected, terminal.advanceTo(next), terminal + " -> " + next);
            }
        }
        for (BuildState state : EnumSet.complementOf(EnumSet.copyOf(TERMINAL))) {
            assertFalse(state.isTerminal(), state::name);
        }
    }

    @Test
    void anUnfinishedBuildCanFailOrBeCancelledFromAnyState() {
        for (BuildState state : List.of(BuildState.ACCEPTED, BuildState.QUEUED, BuildState.BUILDING, BuildState.BUILT,
                BuildState.STORED)) {
            assertEquals(BuildState.FAILED, state.advanceTo(BuildState.FAILED), state::name);
            assertEquals(BuildState.CANCELLED, state.advanceTo(BuildState.CANCELLED), state::name);
        }
    }

    @Test
    void onlyABuildNotYetBuiltCanBeCancelled() {
        assertEquals(EnumSet.of(BuildState.ACCEPTED, BuildState.QUEUED, BuildState.BUILDING),
                EnumSet.copyOf(List.of(BuildState.values()).stream().filter(BuildState::canBeCancelled).toList()));
    }

    @Test
    void onlyFailedAndCancelledBuildsAreBuiltAgain() {
        assertEquals(EnumSet.of(BuildState.FAILED, BuildState.CANCELLED),
                EnumSet.copyOf(List.of(BuildState.values()).stream().filter(BuildState::canBeBuiltAgain).toList()));
    }

    @Test
    void theStatesAfterOneAreThoseOfABuildGoingWell() {
        assertEquals(List.of(BuildState.STORED, BuildState.PUBLISHED), BuildState.after(BuildState.BUILT));
        assertEquals(List.of(), BuildState.after(BuildState.PUBLISHED));
        assertTrue(BuildState.BUILT.isOnTheWayTo(BuildState.PUBLISHED));
        assertFalse(BuildState.REUSED.isOnTheWayTo(BuildState.PUBLISHED));
        assertTrue(BuildState.BUILT.isBefore(BuildState.STORED));
        assertFalse(BuildState.STORED.isBefore(BuildState.BUILT));
    }

    @Test
    void aStageReportsWhileTheBuildHasNotMovedPastIt() {
        assertTrue(PipelineStage.BUILD.isCurrentFor(BuildState.QUEUED), "a worker may report before QUEUED is heard of");
        assertTrue(PipelineStage.BUILD.isCurrentFor(BuildState.BUILDING));
        assertFalse(PipelineStage.BUILD.isCurrentFor(BuildState.BUILT));
        assertTrue(PipelineStage.PACK.isCurrentFor(BuildState.STORED));
        assertFalse(PipelineStage.PACK.isCurrentFor(BuildState.PUBLISHED));
        assertEquals(List.of("build", "artifact"), PipelineStage.PACK.earlierStages());
    }
}
