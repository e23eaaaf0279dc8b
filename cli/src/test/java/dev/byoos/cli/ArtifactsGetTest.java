package dev.byoos.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactsGetTest {

    private static final byte[] IMAGE = "a qcow2 image, as far as this test is concerned".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path directory;

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static String sign(KeyPair key, byte[] bytes) throws Exception {
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(key.getPrivate());
        signer.update(bytes);
        return Base64.getEncoder().encodeToString(signer.sign());
    }

    private static String pem(KeyPair key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    }

    /** A factory serving one artifact whose recorded digest is of {@link #IMAGE}, but whose download is {@code served}. */
    private static StubFactory factory(byte[] served, KeyPair signingKey, String signature) throws Exception {
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(IMAGE));
        StubFactory factory = new StubFactory();
        factory.on("GET /api/v1/artifacts/" + sha256, 200, """
                {"sha256":"%s","size":%d,"format":"qcow2","builds":[{"signature":{"format":"cosign-blob","keyId":"%s","value":"%s"}}]}"""
                .formatted(sha256, IMAGE.length, VerifiedDownload.keyId(signingKey.getPublic()), signature))
                .on("GET /api/v1/artifacts/signing-key", request -> new StubFactory.Answer(200, "application/x-pem-file",
                        pem(signingKey).getBytes(StandardCharsets.US_ASCII), Map.of()))
                .on("GET /api/v1/artifacts/" + sha256 + "/download", 200,
                        "{\"url\":\"" + factory.url() + "/bucket/image?X-Amz-Signature=s\"}")
                .on("GET /bucket/image?X-Amz-Signature=s", request -> new StubFactory.Answer(200, "application/octet-stream",
                        served, Map.of()));
        return factory;
    }

    private static String sha256() throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(IMAGE));
    }

    @Test
    void aVerifiedImageIsMovedIntoPlaceAndTheTokenNeverGoesToStorage() throws Exception {
        KeyPair key = keyPair();
        Path target = directory.resolve("image.qcow2");
        try (StubFactory factory = factory(IMAGE, key, sign(key, IMAGE))) {
            StubFactory.Run run = factory.run("artifacts", "get", sha256(), "-o", target.toString());

            assertEquals(ExitCodes.OK, run.exitCode(), run.err());
            assertArrayEquals(IMAGE, Files.readAllBytes(target));
            assertTrue(run.out().contains("sha256    " + sha256() + " (verified)"), run.out());
            assertTrue(run.out().contains("signature verified with key " + VerifiedDownload.keyId(key.getPublic())), run.out());
            assertNull(factory.requests.get(factory.requests.size() - 1).authorization(), "no token to the presigned URL");
        }
        try (var left = Files.list(directory)) {
            assertEquals(1, left.count(), "no partial download left beside it");
        }
    }

    @Test
    void aDownloadWithAnotherSha256IsRefusedAndNothingIsWritten() throws Exception {
        KeyPair key = keyPair();
        byte[] tampered = "a different image".getBytes(StandardCharsets.UTF_8);
        Path target = directory.resolve("image.qcow2");
        try (StubFactory factory = factory(tampered, key, sign(key, tampered))) {
            StubFactory.Run run = factory.run("artifacts", "get", sha256(), "-o", target.toString());

            assertEquals(ExitCodes.NOT_VERIFIED, run.exitCode());
            assertTrue(run.err().contains("not the artifact asked for; nothing was written"), run.err());
        }
        try (var left = Files.list(directory)) {
            assertEquals(0, left.count(), "neither the file nor a partial download");
        }
    }

    @Test
    void aDownloadLongerThanTheRecordedSizeIsCutOffAndNothingIsWritten() throws Exception {
        KeyPair key = keyPair();
        byte[] longer = new byte[IMAGE.length + (1 << 20)];
        System.arraycopy(IMAGE, 0, longer, 0, IMAGE.length);
        Path target = directory.resolve("image.qcow2");
        try (StubFactory factory = factory(longer, key, sign(key, IMAGE))) {
            StubFactory.Run run = factory.run("artifacts", "get", sha256(), "-o", target.toString());

            assertEquals(ExitCodes.NOT_VERIFIED, run.exitCode());
            assertTrue(run.err().contains("is larger than the " + IMAGE.length + " bytes recorded for it"), run.err());
        }
        try (var left = Files.list(directory)) {
            assertEquals(0, left.count(), "neither the file nor a partial download");
        }
    }

    @Test
    void aSignatureThatDoesNotVerifyIsRefusedAndNothingIsWritten() throws Exception {
        KeyPair key = keyPair();
        Path target = directory.resolve("image.qcow2");
        try (StubFactory factory = factory(IMAGE, key, sign(key, "other bytes".getBytes(StandardCharsets.UTF_8)))) {
            StubFactory.Run run = factory.run("artifacts", "get", sha256(), "-o", target.toString());

            assertEquals(ExitCodes.NOT_VERIFIED, run.exitCode());
            assertTrue(run.err().contains("does not verify with key"), run.err());
        }
        assertFalse(Files.exists(target));
    }

    @Test
    void aSignatureByAnotherKeyThanThePinnedOneIsRefused() throws Exception {
        KeyPair key = keyPair();
        Path pinned = directory.resolve("pinned.pub");
        Files.writeString(pinned, pem(keyPair()));
        Path target = directory.resolve("image.qcow2");
        try (StubFactory factory = factory(IMAGE, key, sign(key, IMAGE))) {
            StubFactory.Run run = factory.run("artifacts", "get", sha256(), "-o", target.toString(), "--public-key",
                    pinned.toString());

            assertEquals(ExitCodes.NOT_VERIFIED, run.exitCode());
            assertTrue(run.err().contains("was signed with key " + VerifiedDownload.keyId(key.getPublic())), run.err());
        }
        assertFalse(Files.exists(target));
    }
}
