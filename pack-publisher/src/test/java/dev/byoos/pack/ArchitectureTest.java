package dev.byoos.pack;

import org.junit.jupiter.api.Test;

import dev.byoos.testsupport.PackageCycles;

class ArchitectureTest {

    @Test
    void noPackageDependsOnAPackageThatDependsOnIt() {
        PackageCycles.assertNoneUnder("dev.byoos.pack");
    }
}
