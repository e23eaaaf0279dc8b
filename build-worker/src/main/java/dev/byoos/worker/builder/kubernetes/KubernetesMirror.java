package dev.byoos.worker.builder.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;

import dev.byoos.worker.builder.core.BuildException;

/**
 * Where the worker reads Kubernetes release artifacts from (layout: {@link KubernetesRelease}): a
 * local directory (a mount, for air-gapped sites) or an S3 bucket, read with the worker's own S3
 * endpoint and credentials.
 */
public interface KubernetesMirror {

    /**
     * The S3 client an {@code s3://} mirror is read with: the worker's own ({@code byoos.s3.*}), and
     * its endpoint, which messages name.
     */
    record S3Access(MinioClient client, String endpoint) {
    }

    /**
     * @param location an absolute directory path, a {@code file:} URI, or {@code s3://bucket[/prefix]}
     * @throws BuildException WORKER_SETUP KUBERNETES_MIRROR_INVALID for anything else
     */
    static KubernetesMirror parse(String location, S3Access s3) {
        if (location.startsWith("s3://")) {
            String rest = location.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("^/+|/+$", "");
            if (bucket.isBlank()) {
                throw invalid(location, "names no bucket");
            }
            return new S3Mirror(s3.client(), s3.endpoint(), bucket, prefix);
        }
        Path directory = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
        if (!directory.isAbsolute()) {
            throw invalid(location, "is neither an absolute directory, a file: URI nor an s3:// URI");
        }
        return new DirectoryMirror(directory.normalize());
    }

    /**
     * Opens an artifact or sidecar for reading.
     *
     * @param path relative to the mirror's root, as {@link KubernetesRelease} names it
     * @throws Missing when the mirror has nothing there
     * @throws BuildException INFRASTRUCTURE KUBERNETES_MIRROR_UNAVAILABLE when the mirror cannot be read
     */
    InputStream open(String path) throws Missing;

    /** Where {@code path} is, for provenance and messages: a {@code file:} or {@code s3://} URI. */
    String location(String path);

    /** The mirror has no file at a path the build needs. */
    final class Missing extends Exception {
        Missing(String location) {
            super(location);
        }
    }

    private static BuildException invalid(String location, String why) {
        return new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_MIRROR_INVALID",
                "byoos.worker.kubernetes-components.mirror '" + location + "' " + why, null);
    }

    private static BuildException unavailable(String location, Exception cause) {
        return new BuildException(BuildException.Kind.INFRASTRUCTURE, "KUBERNETES_MIRROR_UNAVAILABLE",
                "the Kubernetes components mirror could not be read at " + location + ": " + cause.getMessage(), cause);
    }

    /** A directory laid out like the upstream downloads. */
    record DirectoryMirror(Path root) implements KubernetesMirror {

        @Override
        public InputStream open(String path) throws Missing {
            Path file = root.resolve(path).normalize();
            if (!file.startsWith(root)) {
                throw new IllegalArgumentException(path + " leaves the mirror");
            }
            if (!Files.isDirectory(root)) {
                // An unmounted volume, most likely: that may come back.
                throw unavailable(root.toString(), new NoSuchFileException(root + " is not a directory"));
            }
            try {
                return Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                throw new Missing(location(path));
            } catch (IOException e) {
                throw unavailable(location(path), e);
            }
        }

        @Override
        public String location(String path) {
            return root.resolve(path).toUri().toString();
        }
    }

    /** A bucket (below an optional prefix) laid out like the upstream downloads. */
    record S3Mirror(MinioClient client, String endpoint, String bucket, String prefix) implements KubernetesMirror {

        @Override
        public InputStream open(String path) throws Missing {
            try {
                return client.getObject(GetObjectArgs.builder().bucket(bucket).object(key(path)).build());
            } catch (ErrorResponseException e) {
                String code = e.errorResponse().code();
                if ("NoSuchKey".equals(code) || "NoSuchBucket".equals(code)) {
                    throw new Missing(location(path) + ("NoSuchBucket".equals(code)
                            ? " (bucket " + bucket + " does not exist at " + endpoint + ")" : ""));
                }
                throw unavailable(location(path), e);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw unavailable(location(path) + " (" + endpoint + ")", e);
            }
        }

        @Override
        public String location(String path) {
            return "s3://" + bucket + "/" + key(path);
        }

        private String key(String path) {
            return prefix.isEmpty() ? path : prefix + "/" + path;
        }
    }
}
