package dev.byoos.artifact;

import org.junit.jupiter.api.Test;

import dev.byoos.testsupport.PackageCycles;

class ArchitectureTest {

    @Test
    void noPackageDependsOnAPackageThatDependsOnIt() {
        PackageCycles.assertNoneUnder("dev.byoos.artifact");
    }
}
