package dev.byoos.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack's stand-in mirror has every release of the support matrix in the upstream
 * layout, with sidecars that match, and tarballs that GNU tar reads as the upstream ones.
 */
class KubernetesStandInMirrorTest {

    static final Path REPO_ROOT = Path.of("..", "..").toAbsolutePath().normalize();

    @TempDir
    Path dataDir;

    @Test
    void everyReleaseOfTheSupportMatrixIsThereWithMatchingSidecars() throws Exception {
        Path mirror = KubernetesStandInMirror.seed(REPO_ROOT, dataDir);

        for (String release : List.of("1.31.0", "1.30.4", "1.29.4", "1.28.9", "1.27.13")) {
            Path kubelet = mirror.resolve("kubernetes/v" + release + "/bin/linux/amd64/kubelet");
            assertEquals(KubernetesStandInMirror.sha256(Files.readAllBytes(kubelet)),
                    Files.readString(kubelet.resolveSibling("kubelet.sha256")));
            assertTrue(Files.isExecutable(kubelet));
            assertEquals("BYOOS devstack stand-in for kubelet " + release
                    + " (not the real binary; see README.txt of the mirror)\n", run(kubelet.toString()));
        }
        Path containerd = mirror.resolve("containerd/v1.7.13/containerd-1.7.13-linux-amd64.tar.gz");
        assertSidecar(containerd, ".sha256sum");
        assertEquals("bin/containerd\nbin/containerd-shim-runc-v2\nbin/ctr\n", run("tar", "-tzf", containerd.toString()));
        assertTrue(run("tar", "-xOzf", containerd.toString(), "bin/ctr").contains("stand-in for ctr 1.7.13"));
        for (String cni : List.of("1.3.0", "1.2.0")) {
            Path plugins = mirror.resolve("cni-plugins/v" + cni + "/cni-plugins-linux-amd64-v" + cni + ".tgz");
            assertSidecar(plugins, ".sha256");
            assertTrue(run("tar", "-tzf", plugins.toString()).startsWith("./bridge\n./host-local\n"));
        }
        for (String crictl : List.of("1.28.0", "1.26.0")) {
            Path tarball = mirror.resolve("cri-tools/v" + crictl + "/crictl-v" + crictl + "-linux-amd64.tar.gz");
            assertSidecar(tarball, ".sha256");
            assertEquals("-rwxr-xr-x", run("tar", "-tvzf", tarball.toString()).substring(0, 10));
        }
    }

    @Test
    void seedingAgainWritesTheSameBytes() throws Exception {
        Path mirror = KubernetesStandInMirror.seed(REPO_ROOT, dataDir);
        Path tarball = mirror.resolve("containerd/v1.7.13/containerd-1.7.13-linux-amd64.tar.gz");
        byte[] first = Files.readAllBytes(tarball);
        Thread.sleep(1100);

        KubernetesStandInMirror.seed(REPO_ROOT, dataDir);

        assertEquals(KubernetesStandInMirror.sha256(first), KubernetesStandInMirror.sha256(Files.readAllBytes(tarball)),
                "the worker's image cache keys on these bytes");
    }

    private static void assertSidecar(Path artifact, String suffix) throws IOException {
        assertEquals(KubernetesStandInMirror.sha256(Files.readAllBytes(artifact)) + "  " + artifact.getFileName() + "\n",
                Files.readString(artifact.resolveSibling(artifact.getFileName() + suffix)));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
