package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.CustomizationLayersTest.Layers;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.SuiteReleases;
import dev.byoos.worker.builder.core.Sha256;

/** A debootstrap base's Release file is in the provenance, and every cache key follows it. */
class BuildInputsTest {

    private static final String MIRROR = "http://mirror.invalid/debian";
    private static final BuildRequested REQUEST = CustomizationLayersTest.request("bookworm", BuildRequested.STANDARD,
            Layers.none());

    @Test
    void aChangedReleaseMakesANewImageKeyAndTheProvenanceNamesIt() {
        BuildInputs before = inputs(suite("Date: Sat, 08 Nov 2025 09:40:43 UTC\n"));
        BuildInputs same = inputs(suite("Date: Sat, 08 Nov 2025 09:40:43 UTC\n"));
        BuildInputs updated = inputs(suite("Date: Sat, 10 Jan 2026 10:12:05 UTC\n"));

        assertEquals(before, same);
        assertNotEquals(before.installKey(), updated.installKey());
        assertNotEquals(before.treeKey(), updated.treeKey());
        assertNotEquals(before.imageKey(), updated.imageKey());
        assertEquals(new BuildCompleted.Input("base:debootstrap/bookworm/release",
                Sha256.of("Date: Sat, 10 Jan 2026 10:12:05 UTC\n"), MIRROR + "/dists/bookworm/InRelease"),
                updated.inputs().get(1));
    }

    private static DebootstrapBases.Suite suite(String release) {
        String sha256 = Sha256.of(release);
        return new DebootstrapBases.Suite("bookworm", MIRROR, new SuiteReleases.Release(MIRROR
                + "/dists/bookworm/InRelease", sha256, Optional.empty()), DebootstrapBases.key("bookworm", MIRROR, sha256));
    }

    private static BuildInputs inputs(DebootstrapBases.Suite suite) {
        return BuildInputs.of(REQUEST, BuildInputs.debootstrapBase(suite), Optional.empty(), "test-1", true);
    }
}
