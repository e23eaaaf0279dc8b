package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;

/** Which builder builds a native request: the synthetic one only where a benchmark asked for it, and only for its teams. */
class BuildersTest {

    private final Builder real = new NamedBuilder("native");
    private final Builder imageBuilder = new NamedBuilder("image-builder");
    private final Builder synthetic = new NamedBuilder("synthetic");
    private final AtomicInteger nativeSetUps = new AtomicInteger();
    private final Supplier<Builder> nativeBuilder = () -> {
        nativeSetUps.incrementAndGet();
        return real;
    };

    @Test
    void withTeamsNamedOnlyTheirBuildsAreSyntheticAndEveryOtherTeamsAreReal() {
        Builders builders = new Builders(Optional.of(synthetic), Set.of("bench"), nativeBuilder, imageBuilder,
                Optional.empty());
        assertSame(synthetic, builders.forRequest(request("bench")));
        assertSame(real, builders.forRequest(request("bench-real")));
        assertSame(real, builders.forRequest(request("platform")));
    }

    @Test
    void withoutTeamsEveryBuildIsSyntheticAndTheNativeBuilderIsNeverSetUp() {
        Builders builders = new Builders(Optional.of(synthetic), Set.of(), nativeBuilder, imageBuilder, Optional.empty());
        assertSame(synthetic, builders.forRequest(request("bench")));
        assertSame(synthetic, builders.forRequest(request("platform")));
        assertEquals(0, nativeSetUps.get());
    }

    @Test
    void withoutTheSyntheticBuilderEveryBuildIsRealAndTheNativeBuilderIsSetUpAtStart() {
        Builders builders = new Builders(Optional.empty(), Set.of("bench"), nativeBuilder, imageBuilder, Optional.empty());
        assertEquals(1, nativeSetUps.get(), "set up when the worker starts, so a broken one fails the start");
        assertSame(real, builders.forRequest(request("bench")));
    }

    private static BuildRequested request(String team) {
        return new BuildRequested(new BuildCoordinates("7f2c0000-0000-0000-0000-000000000001", team, "node", 1,
                "cd".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("p", "1.0.0", "P")),
                new BuildRequested.BaseImage("debian-12-skeleton"), List.of());
    }

    private record NamedBuilder(String id) implements Builder {
        @Override
        public boolean supports(String cloud, String format) {
            return true;
        }

        @Override
        public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation) {
            throw new UnsupportedOperationException("not built in this test");
        }
    }
}
