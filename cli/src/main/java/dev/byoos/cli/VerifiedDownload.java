package dev.byoos.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An artifact downloaded through its presigned URL and checked as docs/architecture.md
 * ("Artifacts") tells users to check it offline: the bytes' sha256 must be the one asked for, and
 * the recorded cosign-blob signature (DER ECDSA-SHA256 over the bytes) must verify with the public
 * key whose sha256 is the signature's {@code keyId}. The bytes go to a temporary file beside the
 * destination and are moved into place only when both hold, so an unverified image never sits
 * under the name a pipeline's next step reads.
 */
class VerifiedDownload {

    static final String SIGNATURE_FORMAT = "cosign-blob";
    private static final Pattern FORMAT_NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,31}");

    private final Api api;
    private final URI artifacts;
    private final Output output;

    VerifiedDownload(Api api, URI artifacts, Output output) {
        this.api = api;
        this.artifacts = artifacts;
        this.output = output;
    }

    record Result(String sha256, long size, Path file, String keyId) {
    }

    /**
     * @param destination where the verified image goes; null: {@code <sha256>.<format>} here
     * @param publicKeyPem a pinned public key; null: the factory's current one
     * @throws CliException {@link ExitCodes#NOT_VERIFIED} when the digest or the signature fails (nothing written)
     */
    Result fetch(String sha256, Path destination, Path publicKeyPem) {
        JsonNode artifact = api.get(artifacts, "/api/v1/artifacts/" + sha256);
        JsonNode signature = ArtifactsCommand.firstBuild(artifact).path("signature");
        if (signature.isMissingNode() || signature.isNull()) {
            throw new CliException(ExitCodes.NOT_VERIFIED, "artifact " + sha256 + " has no signature (stored before "
                    + "artifacts were signed): refusing an image that cannot be verified");
        }
        if (!SIGNATURE_FORMAT.equals(signature.path("format").asText())) {
            throw new CliException(ExitCodes.NOT_VERIFIED, "artifact " + sha256 + " has a signature of format '"
                    + signature.path("format").asText() + "'; this CLI verifies " + SIGNATURE_FORMAT);
        }
        PublicKey key = publicKey(publicKeyPem == null ? api.getText(artifacts, "/api/v1/artifacts/signing-key")
                : readPem(publicKeyPem), publicKeyPem == null ? "the factory's signing key" : publicKeyPem.toString());
        String keyId = keyId(key);
        if (!keyId.equals(signature.path("keyId").asText())) {
            throw new CliException(ExitCodes.NOT_VERIFIED, "artifact " + sha256 + " was signed with key "
                    + signature.path("keyId").asText() + ", not with " + keyId
                    + (publicKeyPem == null ? " (the factory's current key): after a key rotation, pass the previous public key with --public-key" : ""));
        }
        Path target = destination != null ? destination : Path.of(sha256 + "." + formatOf(artifact));
        URI presigned = URI.create(api.get(artifacts, "/api/v1/artifacts/" + sha256 + "/download").path("url").asText());
        output.note("downloading " + sha256 + " (" + artifact.path("size").asLong() + " bytes) from " + presigned.getHost());
        Path directory = target.toAbsolutePath().getParent();
        Path partial = null;
        try {
            partial = Files.createTempFile(directory, "." + target.getFileName() + ".", ".part");
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(key);
            long size = 0;
            try (InputStream body = api.download(presigned); OutputStream file = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[1 << 16];
                long expected = artifact.path("size").asLong();
                for (int read; (read = body.read(buffer)) > 0; size += read) {
                    if (size + read > expected) {
                        // Stop at once: a download that runs past the recorded size is not the artifact,
                        // and must not fill the disk before the digest says so.
                        throw new CliException(ExitCodes.NOT_VERIFIED, "the download of " + sha256 + " is larger than the "
                                + expected + " bytes recorded for it: not the artifact asked for; nothing was written to "
                                + target);
                    }
                    digest.update(buffer, 0, read);
                    verifier.update(buffer, 0, read);
                    file.write(buffer, 0, read);
                }
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(sha256)) {
                throw new CliException(ExitCodes.NOT_VERIFIED, "the download of " + sha256 + " has sha256 " + actual + " ("
                        + size + " bytes): not the artifact asked for; nothing was written to " + target);
            }
            if (!verifier.verify(decode(signature.path("value").asText(), sha256))) {
                throw new CliException(ExitCodes.NOT_VERIFIED, "the signature of " + sha256 + " does not verify with key "
                        + keyId + "; nothing was written to " + target);
            }
            move(partial, target);
            partial = null;
            return new Result(sha256, size, target, keyId);
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, "downloading " + sha256 + " to " + target + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new CliException(ExitCodes.NOT_VERIFIED, "cannot verify " + sha256 + ": " + e.getMessage(), e);
        } finally {
            if (partial != null) {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException e) {
                    output.note("byoos: could not delete the unverified partial download " + partial + ": " + e.getMessage());
                }
            }
        }
    }

    private static void move(Path partial, Path target) throws IOException {
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The format names the file: only a short plain word may, never a path. */
    private static String formatOf(JsonNode artifact) {
        String format = artifact.path("format").asText("");
        return FORMAT_NAME.matcher(format).matches() ? format : "img";
    }

    private static byte[] decode(String base64, String sha256) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.NOT_VERIFIED, "the recorded signature of " + sha256 + " is not base64", e);
        }
    }

    private static String readPem(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read public key " + file + ": " + e.getMessage(), e);
        }
    }

    static PublicKey publicKey(String pem, String source) {
        String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CliException(ExitCodes.NOT_VERIFIED, source + " is not a PEM EC public key: " + e.getMessage(), e);
        }
    }

    /** As the factory names keys: sha256 of the public key's DER (X.509 SubjectPublicKeyInfo). */
    static String keyId(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
