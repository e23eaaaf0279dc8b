package dev.byoos.devstack;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.filesystem.reference.FilesystemConstants;
import org.jclouds.s3.reference.S3Constants;

/** An S3 API (S3Proxy) in front of jclouds' filesystem blob store, with AWS V2/V4 authentication. */
final class S3Server implements AutoCloseable, Suspendable {

    static final String REGION = "us-east-1";
    static final String STAGING_BUCKET = "byoos-staging";
    static final String ARTIFACTS_BUCKET = "byoos-artifacts";
    static final String ACCESS_KEY = "byoos-local";

    private static final String CREDENTIALS_FILE = "credentials.properties";
    private static final String SECRET_KEY_PROPERTY = "secret-key";

    private S3Proxy proxy;
    private final BlobStoreContext storage;
    private final String endpoint;
    private final String secretKey;

    private S3Server(S3Proxy proxy, BlobStoreContext storage, String endpoint, String secretKey) {
        this.proxy = proxy;
        this.storage = storage;
        this.endpoint = endpoint;
        this.secretKey = secretKey;
    }

    private static S3Proxy proxy(BlobStore blobStore, String endpoint, String secretKey) {
        return S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(URI.create(endpoint))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, secretKey)
                .build();
    }

    /**
     * Stops answering (connections are refused) while keeping every object, as an S3 outage
     * would; {@link #resume()} serves again on the same port with the same data.
     */
    @Override
    public synchronized void suspend() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    @Override
    public synchronized void resume() throws Exception {
        if (proxy == null) {
            S3Proxy resumed = proxy(storage.getBlobStore(), endpoint, secretKey);
            resumed.start();
            proxy = resumed;
        }
    }

    static S3Server start(Path dir) throws Exception {
        Path basedir = dir.resolve("blobs");
        Files.createDirectories(basedir);
        String secretKey = secretKey(dir);

        Properties storageProperties = new Properties();
        storageProperties.setProperty(FilesystemConstants.PROPERTY_BASEDIR, basedir.toString());
        BlobStoreContext storage = ContextBuilder.newBuilder("filesystem")
                .overrides(storageProperties)
                .buildView(BlobStoreContext.class);
        S3Proxy proxy = null;
        try {
            BlobStore blobStore = storage.getBlobStore();
            for (String bucket : List.of(STAGING_BUCKET, ARTIFACTS_BUCKET)) {
                // Returns false, and changes nothing, when the bucket exists.
                blobStore.createContainerInLocation(null, bucket);
            }
            int port = Ports.stable(dir, 1)[0];
            String endpoint = "http://" + Ports.LOOPBACK + ":" + port;
            proxy = proxy(blobStore, endpoint, secretKey);
            proxy.start();
            S3Server server = new S3Server(proxy, storage, endpoint, secretKey);
            server.verifyBucketsOverHttp();
            return server;
        } catch (Exception e) {
            try {
                if (proxy != null) {
                    proxy.stop();
                }
            } catch (Exception stopFailure) {
                e.addSuppressed(stopFailure);
            } finally {
                storage.close();
            }
            throw e;
        }
    }

    String endpoint() {
        return endpoint;
    }

    String secretKey() {
        return secretKey;
    }

    /**
     * Generated once per data directory, then reused, so clients configured from an earlier
     * run's endpoints keep working. Readable by the owner only.
     */
    private static String secretKey(Path dir) throws IOException {
        Path file = dir.resolve(CREDENTIALS_FILE);
        Properties credentials = new Properties();
        if (Files.isRegularFile(file)) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                credentials.load(reader);
            }
            String stored = credentials.getProperty(SECRET_KEY_PROPERTY);
            if (stored != null && !stored.isBlank()) {
                return stored.trim();
            }
        }
        byte[] random = new byte[20];
        new SecureRandom().nextBytes(random);
        String secret = HexFormat.of().formatHex(random);
        credentials.setProperty("access-key", ACCESS_KEY);
        credentials.setProperty(SECRET_KEY_PROPERTY, secret);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            credentials.store(writer, "S3 credentials of this dev stack");
        }
        return secret;
    }

    /** Real signed S3 requests through the proxy: proves port, credentials and buckets at once. */
    private void verifyBucketsOverHttp() {
        Properties clientProperties = new Properties();
        clientProperties.setProperty(S3Constants.PROPERTY_S3_VIRTUAL_HOST_BUCKETS, "false");
        try (BlobStoreContext client = ContextBuilder.newBuilder("s3")
                .endpoint(endpoint)
                .credentials(ACCESS_KEY, secretKey)
                .overrides(clientProperties)
                .buildView(BlobStoreContext.class)) {
            for (String bucket : List.of(STAGING_BUCKET, ARTIFACTS_BUCKET)) {
                if (!client.getBlobStore().containerExists(bucket)) {
                    throw new IllegalStateException("S3 bucket " + bucket + " is missing at " + endpoint);
                }
            }
        }
    }

    @Override
    public synchronized void close() throws Exception {
        try {
            if (proxy != null) {
                proxy.stop();
            }
        } finally {
            storage.close();
        }
    }
}
