package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesMirror;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * A Kubernetes components mirror in an S3 bucket, below a prefix, on the test stack's real S3
 * server, read with the worker's S3 endpoint and credentials.
 */
class KubernetesS3MirrorTest {

    @TempDir
    static Path bases;
    @TempDir
    static Path mirror;
    @TempDir
    Path workDir;
    @TempDir
    Path cacheDir;

    private static Endpoints endpoints;
    private static final String BUCKET = "k8s-mirror-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String PREFIX = "air-gapped/k8s";

    @BeforeAll
    static void bucketWithAMirror() throws Exception {
        TestBases.busyboxBase(bases);
        TestKubernetesMirror.create(mirror);
        endpoints = TestStack.endpoints();
        MinioClient s3 = MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build();
        s3.makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
        try (var files = Files.walk(mirror)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                s3.uploadObject(UploadObjectArgs.builder().bucket(BUCKET)
                        .object(PREFIX + "/" + mirror.relativize(file)).filename(file.toString()).build());
            }
        }
    }

    private KubernetesComponentSource source(String location) {
        return KubernetesComponentSource.of(Optional.of(location), new KubernetesMirror.S3Access(MinioClient.builder()
                .endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build(), endpoints.s3Endpoint()),
                TestKubernetesMirror.ARCH,
                cacheDir, Optional.empty());
    }

    @Test
    void buildsWithTheComponentsOfAnS3Mirror() throws IOException {
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)
                .withKubernetesComponents(source("s3://" + BUCKET + "/" + PREFIX + "/"))).build(
                KubernetesComponentsLayerTest.request("tgz", TestKubernetesMirror.RELEASE), workDir, new BuildLog(),
                new BuildCancellation());

        assertEquals(TestKubernetesMirror.standIn("kubelet", "1.30.4"),
                TestKubernetesMirror.run("tar", "-xOzf", image.file().toString(), "./usr/bin/kubelet"));
        assertEquals(TestKubernetesMirror.standIn("crictl", "1.28.0"),
                TestKubernetesMirror.run("tar", "-xOzf", image.file().toString(), "./usr/local/bin/crictl"));
        BuildCompleted.Input containerd = image.inputs().stream()
                .filter(input -> input.name().equals("kubernetes:containerd")).findFirst().orElseThrow();
        assertEquals("s3://" + BUCKET + "/" + PREFIX + "/" + TestKubernetesMirror.CONTAINERD, containerd.uri());
        assertEquals(Sha256.of(mirror.resolve(TestKubernetesMirror.CONTAINERD)), containerd.sha256());
        JsonNode bom = new ObjectMapper().readTree(image.sbom().toFile());
        assertEquals("1.3.0", KubernetesComponentsLayerTest.component(bom, "cni-plugins").get("version").asText());
    }

    @Test
    void aPrefixWithoutTheReleaseIsAMissingArtifactNamingItsObject() {
        BuildException failure = assertThrows(BuildException.class,
                () -> source("s3://" + BUCKET + "/elsewhere").fetch(TestKubernetesMirror.RELEASE, new BuildLog()));
        assertEquals("KUBERNETES_COMPONENT_NOT_IN_MIRROR", failure.code());
        assertTrue(failure.getMessage().contains("s3://" + BUCKET + "/elsewhere/" + TestKubernetesMirror.KUBEADM
                + ".sha256 does not exist"), failure.getMessage());
    }

    @Test
    void anUnreachableS3IsARetryableInfrastructureFailure() throws IOException {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        KubernetesComponentSource unreachable = KubernetesComponentSource.of(Optional.of("s3://" + BUCKET),
                new KubernetesMirror.S3Access(MinioClient.builder().endpoint("http://127.0.0.1:" + port).region("us-east-1")
                        .credentials("key", "secret").build(), "http://127.0.0.1:" + port),
                TestKubernetesMirror.ARCH, cacheDir, Optional.empty());

        BuildException failure = assertThrows(BuildException.class,
                () -> unreachable.fetch(TestKubernetesMirror.RELEASE, new BuildLog()));

        assertEquals("KUBERNETES_MIRROR_UNAVAILABLE", failure.code());
        assertTrue(failure.retryable());
    }
}
