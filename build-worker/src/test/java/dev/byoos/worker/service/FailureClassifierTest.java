package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.junit.jupiter.api.Test;

import dev.byoos.contract.BuildFailed;
import dev.byoos.worker.builder.core.BuildException;

/** Which failures are the spec's, which the infrastructure's (retried) and which the factory's own bugs. */
class FailureClassifierTest {

    @Test
    void badInputIsTheSpecsAndNotRetried() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new BuildException(
                BuildException.Kind.BAD_INPUT, "UNKNOWN_OWNER", "owner 'ops' of /etc/motd is not in the image", null));
        assertEquals(BuildFailed.SPEC, failure.category());
        assertEquals("UNKNOWN_OWNER", failure.code());
        assertFalse(failure.retryable());
    }

    @Test
    void anUnreachableDependencyIsInfrastructureAndSaysWhatTheBuildWaitsFor() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new BuildException(
                BuildException.Kind.INFRASTRUCTURE, "STORAGE_UNAVAILABLE", "S3 upload failed: connection refused", null));
        assertEquals(BuildFailed.INFRASTRUCTURE, failure.category());
        assertTrue(failure.retryable());
        assertEquals("s3", failure.dependency());
        for (String registry : new String[] {"REGISTRY_UNAVAILABLE", "REGISTRY_AUTH_FAILED", "REGISTRY_NOT_CONFIGURED"}) {
            FailureClassifier.Failure push = FailureClassifier.classify(new BuildException(
                    BuildException.Kind.INFRASTRUCTURE, registry, "the Edge image could not be pushed", null));
            assertTrue(push.retryable(), registry);
            assertEquals("registry", push.dependency(), registry);
        }
    }

    @Test
    void theWorkersOwnSetupIsInfrastructureButNotRetried() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new BuildException(BuildException.Kind.WORKER_SETUP,
                "KUBERNETES_MIRROR_NOT_CONFIGURED", "set byoos.worker.kubernetes-components.mirror", null));
        assertEquals(BuildFailed.INFRASTRUCTURE, failure.category());
        assertEquals("KUBERNETES_MIRROR_NOT_CONFIGURED", failure.code());
        assertFalse(failure.retryable(), "the same setup fails the same way");

        FailureClassifier.Failure unreachable = FailureClassifier.classify(new BuildException(
                BuildException.Kind.INFRASTRUCTURE, "KUBERNETES_MIRROR_UNAVAILABLE", "connection refused", null));
        assertTrue(unreachable.retryable());
        assertEquals("kubernetes-mirror", unreachable.dependency());
    }

    @Test
    void aToolThatRanOutOfDiskIsInfrastructureWhateverItsCode() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new BuildException(BuildException.Kind.BUILDER,
                "TOOL_FAILED", "mke2fs exited with 1: No space left on device while writing out and closing file system",
                null));
        assertEquals(BuildFailed.INFRASTRUCTURE, failure.category());
        assertEquals(FailureClassifier.DISK_FULL, failure.code());
        assertEquals("disk", failure.dependency());

        FailureClassifier.Failure java = FailureClassifier.classify(new UncheckedIOException(
                new IOException(FailureClassifier.NO_SPACE)));
        assertEquals(FailureClassifier.DISK_FULL, java.code());
    }

    @Test
    void scratchSpaceTroubleIsInfrastructure() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new UncheckedIOException(
                new IOException("Permission denied")));
        assertEquals(BuildFailed.INFRASTRUCTURE, failure.category());
        assertEquals("WORKER_IO", failure.code());
        assertTrue(failure.retryable());
    }

    @Test
    void aRejectedOutputIsTheBuildersBug() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new BuildException(BuildException.Kind.BUILDER,
                "OUTPUT_CHECK_FAILED", "qemu-img check found 2 leaked clusters", null));
        assertEquals(BuildFailed.BUILDER, failure.category());
        assertFalse(failure.retryable());
    }

    @Test
    void anUnexpectedExceptionIsTheBuildersBugAndSaysSo() {
        FailureClassifier.Failure failure = FailureClassifier.classify(new IllegalStateException("no partition table"));
        assertEquals(BuildFailed.BUILDER, failure.category());
        assertEquals(FailureClassifier.BUILDER_ERROR, failure.code());
        assertFalse(failure.retryable());
        assertTrue(failure.reason().contains("IllegalStateException: no partition table"), failure.reason());
        assertTrue(failure.reason().contains("a bug in BYOOS Factory, not in the spec"), failure.reason());
    }
}
