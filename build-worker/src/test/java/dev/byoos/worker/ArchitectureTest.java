package dev.byoos.worker;

import org.junit.jupiter.api.Test;

import dev.byoos.testsupport.PackageCycles;

/** consumer → service → builder stages, each stage package below the ones that use it. */
class ArchitectureTest {

    @Test
    void noPackageDependsOnAPackageThatDependsOnIt() {
        PackageCycles.assertNoneUnder("dev.byoos.worker");
    }
}
