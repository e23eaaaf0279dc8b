package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentsLayer;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * The Kubernetes components layer on a real image: a busybox base gets the components of a mirror
 * made at test time (stand-in binaries, tarballs packed by GNU tar, upstream sidecars), and the
 * built image is read back with debugfs. Then each way the mirror can let a build down.
 */
class KubernetesComponentsLayerTest {

    @TempDir
    Path workDir;
    @TempDir
    Path bases;
    @TempDir
    Path mirror;
    @TempDir
    Path cacheDir;

    private final BuildLog log = new BuildLog();

    @BeforeEach
    void catalogAndMirror() {
        TestBases.busyboxBase(bases);
        TestKubernetesMirror.create(mirror);
    }

    static BuildRequested request(String format, BuildRequested.Kubernetes kubernetes,
            BuildRequested.Script... scripts) {
        BuildCoordinates coordinates = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", format), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));
        return new BuildRequested(coordinates, new BuildRequested.BaseImage(TestBases.BUSYBOX), List.of(),
                BuildRequested.STANDARD, List.of(), List.of(), null, List.of(), List.of(), List.of(scripts), null, null,
                kubernetes);
    }

    private Builder.BuiltImage build(KubernetesComponentSource source, BuildRequested request) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases).withKubernetesComponents(source)).build(request, workDir, log, new BuildCancellation());
    }

    private BuildException failure(KubernetesComponentSource source) {
        return assertThrows(BuildException.class,
                () -> build(source, request("raw", TestKubernetesMirror.RELEASE)));
    }

    @Test
    void installsEveryComponentWithItsUnitsAndConfigurationAndListsThemInTheSbom() throws IOException {
        // A pre script runs before the layer: it sees no kubeadm yet.
        Builder.BuiltImage image = build(TestKubernetesMirror.source(mirror, cacheDir),
                request("raw", TestKubernetesMirror.RELEASE, new BuildRequested.Script("before", "pre",
                        "if [ -e /usr/bin/kubeadm ]; then echo present; else echo absent; fi > /etc/kubeadm-before\n", 30)));
        ImageInspector inside = ImageInspector.open(image, workDir);

        assertEquals("absent\n", inside.cat("/etc/kubeadm-before"), "pre scripts run before the Kubernetes layer");
        List<String> binaries = new ArrayList<>();
        for (String name : List.of("kubeadm", "kubelet", "kubectl")) {
            assertBinary(inside, "/usr/bin/" + name, TestKubernetesMirror.standIn(name, "1.30.4"));
            binaries.add("/usr/bin/" + name);
        }
        for (String name : TestKubernetesMirror.CONTAINERD_BINARIES) {
            assertBinary(inside, "/usr/local/bin/" + name, TestKubernetesMirror.standIn(name, "1.7.13"));
        }
        for (String plugin : TestKubernetesMirror.CNI_PLUGINS) {
            assertBinary(inside, "/opt/cni/bin/" + plugin, TestKubernetesMirror.standIn(plugin, "1.3.0"));
        }
        assertBinary(inside, "/usr/local/bin/crictl", TestKubernetesMirror.standIn("crictl", "1.28.0"));
        assertEquals(Sha256.of(mirror.resolve(TestKubernetesMirror.KUBEADM)), Sha256.of(inside.cat("/usr/bin/kubeadm")),
                "the mirror's bytes, unchanged");

        String containerdUnit = inside.cat(KubernetesComponentsLayer.CONTAINERD_UNIT);
        assertTrue(containerdUnit.contains("ExecStart=/usr/local/bin/containerd\n"), containerdUnit);
        assertTrue(containerdUnit.contains("Delegate=yes\n"), containerdUnit);
        assertTrue(containerdUnit.contains("WantedBy=multi-user.target\n"), containerdUnit);
        assertTrue(inside.cat(KubernetesComponentsLayer.CONTAINERD_CONFIG).contains("SystemdCgroup = true\n"));
        assertTrue(inside.cat(KubernetesComponentsLayer.CRICTL_CONFIG)
                .contains("runtime-endpoint: unix:///run/containerd/containerd.sock\n"));
        assertTrue(inside.cat(KubernetesComponentsLayer.KUBELET_UNIT).contains("ExecStart=/usr/bin/kubelet\n"));
        String dropIn = inside.cat(KubernetesComponentsLayer.KUBEADM_DROP_IN);
        assertTrue(dropIn.contains("EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\n"), dropIn);
        assertTrue(dropIn.contains("ExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS"), dropIn);
        assertEquals(KubernetesComponentsLayer.CONTAINERD_UNIT,
                inside.linkTarget("/etc/systemd/system/multi-user.target.wants/containerd.service"));
        assertEquals(KubernetesComponentsLayer.KUBELET_UNIT,
                inside.linkTarget("/etc/systemd/system/multi-user.target.wants/kubelet.service"));
        assertTrue(inside.cat(KubernetesComponentsLayer.MODULES_CONF).endsWith("\noverlay\nbr_netfilter\n"));
        String sysctl = inside.cat(KubernetesComponentsLayer.SYSCTL_CONF);
        for (String setting : List.of("net.bridge.bridge-nf-call-iptables = 1", "net.bridge.bridge-nf-call-ip6tables = 1",
                "net.ipv4.ip_forward = 1")) {
            assertTrue(sysctl.contains(setting + "\n"), sysctl);
        }
        assertEquals("0644", inside.mode(KubernetesComponentsLayer.KUBELET_UNIT));

        JsonNode bom = new ObjectMapper().readTree(image.sbom().toFile());
        JsonNode kubeadm = component(bom, "kubeadm");
        assertEquals("1.30.4", kubeadm.get("version").asText());
        assertEquals("pkg:generic/kubeadm@1.30.4?arch=amd64", kubeadm.get("purl").asText());
        assertEquals(Sha256.of(mirror.resolve(TestKubernetesMirror.KUBEADM)), kubeadm.at("/hashes/0/content").asText());
        assertTrue(kubeadm.get("properties").toString().contains("\"/usr/bin/kubeadm\""), kubeadm.toString());
        JsonNode containerd = component(bom, "containerd");
        assertEquals("1.7.13", containerd.get("version").asText());
        assertEquals("pkg:github/containerd/containerd@1.7.13?arch=amd64", containerd.get("purl").asText());
        assertEquals(Sha256.of(mirror.resolve(TestKubernetesMirror.CONTAINERD)),
                containerd.at("/hashes/0/content").asText(), "the release tarball's digest, as upstream publishes it");
        assertTrue(containerd.get("properties").toString().contains("\"/usr/local/bin/ctr\""), containerd.toString());
        assertEquals("1.3.0", component(bom, "cni-plugins").get("version").asText());
        assertEquals("1.28.0", component(bom, "crictl").get("version").asText());
        String everything = bom.get("components").toString();
        for (String path : List.of("/usr/bin/kubeadm", "/usr/local/bin/containerd", "/opt/cni/bin/bridge")) {
            assertFalse(everything.contains("\"name\":\"" + path + "\""), path + " is listed once, by its component");
            assertFalse(everything.contains("\"bom-ref\":\"kubernetes:" + path + "\""), path + " is listed once");
        }
        assertTrue(everything.contains("\"name\":\"" + KubernetesComponentsLayer.KUBELET_UNIT + "\""),
                "the unit is a file the build wrote");

        List<String> inputs = image.inputs().stream().map(BuildCompleted.Input::name).toList();
        assertEquals(List.of("layer:pre-scripts", "layer:kubernetes-components", "kubernetes:kubeadm", "kubernetes:kubelet",
                "kubernetes:kubectl", "kubernetes:containerd", "kubernetes:cni-plugins", "kubernetes:crictl",
                "layer:packages"), inputs.subList(1, 10));
        BuildCompleted.Input kubeadmInput = image.inputs().get(3);
        assertEquals(Sha256.of(mirror.resolve(TestKubernetesMirror.KUBEADM)), kubeadmInput.sha256());
        assertEquals(mirror.resolve(TestKubernetesMirror.KUBEADM).toUri().toString(), kubeadmInput.uri());
    }

    private static void assertBinary(ImageInspector inside, String path, String content) {
        assertEquals(content, inside.cat(path), path);
        assertEquals("0755", inside.mode(path), path);
        assertEquals("0:0", inside.owner(path), path);
    }

    static JsonNode component(JsonNode bom, String name) {
        for (JsonNode component : bom.get("components")) {
            if (name.equals(component.get("name").asText())) {
                return component;
            }
        }
        throw new AssertionError("the SBOM has no component " + name + ": " + bom.toPrettyString());
    }

    @Test
    void aSecondBuildTakesTheVerifiedArtifactsFromTheCache() throws IOException {
        KubernetesComponentSource source = TestKubernetesMirror.source(mirror, cacheDir);
        source.fetch(TestKubernetesMirror.RELEASE, new BuildLog());
        BuildLog second = new BuildLog();

        KubernetesComponentSource.Components again = source.fetch(TestKubernetesMirror.RELEASE, second).orElseThrow();

        assertTrue(second.toString().contains("kubeadm 1.30.4 from the cache"), second.toString());
        assertFalse(second.toString().contains("fetched from"), second.toString());
        assertEquals(cacheDir.resolve("sha256").resolve(again.artifacts().get(0).sha256()), again.artifacts().get(0).file());
    }

    @Test
    void aCachedArtifactWhoseBytesChangedFailsTheBuildForARetryThatFetchesItAgain() throws IOException {
        KubernetesComponentSource source = TestKubernetesMirror.source(mirror, cacheDir);
        String kubeadm = source.fetch(TestKubernetesMirror.RELEASE, new BuildLog()).orElseThrow().artifacts().get(0)
                .sha256();
        Path cached = cacheDir.resolve("sha256").resolve(kubeadm);
        Files.writeString(cached, "#!/bin/sh\necho changed on the worker's disk\n");

        BuildException failure = failure(source);

        assertEquals("KUBERNETES_COMPONENT_CACHE_CORRUPT", failure.code());
        assertTrue(failure.retryable(), "a retry fetches the artifact again");
        assertFalse(Files.exists(cached), "the changed copy is dropped from the cache");
        Builder.BuiltImage retried = build(source, request("raw", TestKubernetesMirror.RELEASE));
        assertEquals(Sha256.of(mirror.resolve(TestKubernetesMirror.KUBEADM)),
                Sha256.of(ImageInspector.open(retried, workDir).cat("/usr/bin/kubeadm")));
    }

    @Test
    void aRequestWithoutKubernetesInstallsNothing() throws IOException {
        Builder.BuiltImage image = build(KubernetesComponentSource.notConfigured(), request("tgz", null));

        assertTrue(log.toString().contains("kubernetes components: none requested"), log.toString());
        String members = TestKubernetesMirror.run("tar", "-tzf", image.file().toString());
        assertFalse(members.contains("kubeadm"), members);
        assertFalse(members.contains("containerd"), members);
    }

    @Test
    void withoutAMirrorTheBuildFailsNamingTheSetting() {
        BuildException failure = failure(KubernetesComponentSource.notConfigured());
        assertEquals("KUBERNETES_MIRROR_NOT_CONFIGURED", failure.code());
        assertEquals(BuildException.Kind.WORKER_SETUP, failure.kind());
        assertFalse(failure.retryable());
        assertTrue(failure.getMessage().contains("byoos.worker.kubernetes-components.mirror (env BYOOS_KUBERNETES_MIRROR)"),
                failure.getMessage());
        assertTrue(failure.getMessage().contains("kubernetes 1.30.4, containerd 1.7.13, cni 1.3.0, crictl 1.28.0"),
                failure.getMessage());
    }

    @Test
    void anArtifactTheMirrorDoesNotHaveFailsWithItsLocation() throws IOException {
        Files.delete(mirror.resolve(TestKubernetesMirror.CRICTL));

        BuildException failure = failure(TestKubernetesMirror.source(mirror, cacheDir));

        assertEquals("KUBERNETES_COMPONENT_NOT_IN_MIRROR", failure.code());
        assertEquals(BuildException.Kind.WORKER_SETUP, failure.kind());
        assertTrue(failure.getMessage().startsWith("crictl 1.28.0 is not in the Kubernetes components mirror: "
                + mirror.resolve(TestKubernetesMirror.CRICTL).toUri() + " does not exist"), failure.getMessage());
    }

    @Test
    void anArtifactThatDoesNotMatchItsSidecarIsNotUsed() throws IOException {
        String published = Sha256.of(mirror.resolve(TestKubernetesMirror.KUBEADM));
        Files.writeString(mirror.resolve(TestKubernetesMirror.KUBEADM), "#!/bin/sh\necho tampered\n");

        BuildException failure = failure(TestKubernetesMirror.source(mirror, cacheDir));

        assertEquals("KUBERNETES_COMPONENT_CHECKSUM_MISMATCH", failure.code());
        assertEquals(BuildException.Kind.WORKER_SETUP, failure.kind());
        assertTrue(failure.getMessage().contains("has sha256 " + Sha256.of("#!/bin/sh\necho tampered\n")
                + ", its sidecar " + mirror.resolve(TestKubernetesMirror.KUBEADM).toUri() + ".sha256 expects " + published),
                failure.getMessage());
        assertFalse(Files.exists(cacheDir.resolve("sha256").resolve(published)), "nothing unverified is cached");
    }

    @Test
    void aPinnedChecksumsFileOverrulesTheMirror() throws IOException {
        Path pinned = Files.writeString(cacheDir.resolveSibling(cacheDir.getFileName() + ".pinned"),
                TestKubernetesMirror.checksums(mirror));
        KubernetesComponentSource source = KubernetesComponentSource.of(Optional.of(mirror.toString()), null,
                TestKubernetesMirror.ARCH, cacheDir, Optional.of(pinned));
        assertTrue(source.fetch(TestKubernetesMirror.RELEASE, new BuildLog()).isPresent(), "the pinned list matches");

        // The mirror changes kubeadm and its sidecar alike: only the pinned list can tell.
        TestKubernetesMirror.republish(mirror, TestKubernetesMirror.KUBEADM, "#!/bin/sh\necho other build\n");
        BuildException mismatch = failure(source);
        assertEquals("KUBERNETES_COMPONENT_CHECKSUM_MISMATCH", mismatch.code());
        assertTrue(mismatch.getMessage().contains("the pinned checksums file " + pinned + " expects sha256 "),
                mismatch.getMessage());
        assertTrue(mismatch.getMessage().contains("says " + Sha256.of("#!/bin/sh\necho other build\n")),
                mismatch.getMessage());

        Files.writeString(pinned, TestKubernetesMirror.checksums(mirror).lines()
                .filter(line -> !line.endsWith(TestKubernetesMirror.CNI)).map(line -> line + "\n")
                .reduce("", String::concat));
        BuildException unlisted = failure(source);
        assertEquals("KUBERNETES_COMPONENT_NOT_PINNED", unlisted.code());
        assertTrue(unlisted.getMessage().startsWith(TestKubernetesMirror.CNI + " is not in the pinned checksums file"),
                unlisted.getMessage());
    }

    @Test
    void theImageKeyChangesWhenAnArtifactsBytesChange() throws IOException {
        KubernetesComponentSource source = TestKubernetesMirror.source(mirror, cacheDir);
        BuildRequested request = request("raw", TestKubernetesMirror.RELEASE);
        BuildCompleted.Input base = BuildInputs.localBase(bases, TestBases.BUSYBOX);
        BuildInputs before = BuildInputs.of(request, List.of(base), source.fetch(request.kubernetes(), log), "test", false);
        assertEquals(before, BuildInputs.of(request, List.of(base), source.fetch(request.kubernetes(), log), "test", false),
                "the same mirror, the same key");

        TestKubernetesMirror.republish(mirror, TestKubernetesMirror.KUBEADM, "#!/bin/sh\necho patched kubeadm\n");
        BuildInputs after = BuildInputs.of(request, List.of(base), source.fetch(request.kubernetes(), log), "test", false);

        assertNotEquals(before.imageKey(), after.imageKey());
        assertNotEquals(before.inputs().get(2).sha256(), after.inputs().get(2).sha256(), "the layer's own hash");
        assertEquals(Sha256.of("#!/bin/sh\necho patched kubeadm\n"), after.inputs().get(3).sha256());
    }

    @Test
    void aTarballWithALinkIsRefusedWhole() throws IOException {
        Path staging = Files.createDirectories(workDir.resolve("crictl"));
        Files.createSymbolicLink(staging.resolve("crictl"), Path.of("/etc/shadow"));
        Path tarball = mirror.resolve(TestKubernetesMirror.CRICTL);
        TestKubernetesMirror.run("tar", "-C", staging.toString(), "-czf", tarball.toString(), "crictl");
        Files.writeString(tarball.resolveSibling(tarball.getFileName() + ".sha256"),
                Sha256.of(tarball) + "  " + tarball.getFileName() + "\n");

        BuildException failure = failure(TestKubernetesMirror.source(mirror, cacheDir));

        assertEquals("KUBERNETES_ARCHIVE_INVALID", failure.code());
        assertTrue(failure.getMessage().contains("entry crictl is a symbolic link"), failure.getMessage());
    }
}
