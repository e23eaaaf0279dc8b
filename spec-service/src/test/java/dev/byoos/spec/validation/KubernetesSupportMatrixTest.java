package dev.byoos.spec.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The support matrix as the input watcher reads it: an operator's file, and the next patch of a minor. */
class KubernetesSupportMatrixTest {

    @TempDir
    Path dir;

    private KubernetesSupportMatrix file(String releases) throws Exception {
        Path file = Files.writeString(dir.resolve("matrix.json"), "{\"releases\": {" + releases + "}}");
        return KubernetesSupportMatrix.load(Optional.of(file));
    }

    @Test
    void theHighestPatchOfTheSameMinorAboveTheVersionIsTheNextOne() throws Exception {
        String components = "{\"cni\": \"1.3.0\", \"containerd\": \"1.7.13\", \"crictl\": \"1.28.0\"}";
        KubernetesSupportMatrix matrix = file("\"1.30.4\": " + components + ", \"1.30.10\": " + components
                + ", \"1.30.9\": " + components + ", \"1.31.2\": " + components + ", \"1.3.99\": " + components);
        assertEquals(Optional.of("1.30.10"), matrix.higherPatch("1.30.4"), "numerically, not by text");
        assertEquals(Optional.empty(), matrix.higherPatch("1.30.10"));
        assertEquals(Optional.empty(), matrix.higherPatch("1.31.2"), "another minor is no patch");
        assertEquals(Optional.empty(), matrix.higherPatch("1.29.1"));
        assertEquals(Optional.empty(), matrix.higherPatch("not-a-version"));
    }

    @Test
    void anOperatorsFileReplacesTheBundledOneAndAnUnreadableOneStopsTheStart() throws Exception {
        String components = "{\"cni\": \"1.3.0\", \"containerd\": \"1.7.20\", \"crictl\": \"1.30.0\"}";
        KubernetesSupportMatrix matrix = file("\"1.30.9\": " + components);
        assertEquals(java.util.Set.of("1.30.9"), matrix.releases());
        assertEquals("1.7.20", matrix.componentsFor("1.30.9").orElseThrow().containerd());
        assertTrue(KubernetesSupportMatrix.load(Optional.empty()).releases().contains("1.30.4"), "unset: bundled");

        assertThrows(IllegalStateException.class, () -> file("\"v1.30/../x\": " + components));
        assertThrows(IllegalStateException.class, () -> file(""));
        assertThrows(RuntimeException.class, () -> KubernetesSupportMatrix.load(Optional.of(dir.resolve("absent.json"))));
    }
}
