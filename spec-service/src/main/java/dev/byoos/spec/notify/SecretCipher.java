package dev.byoos.spec.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Seals subscriptions' signing secrets for the database: AES-256-GCM under the installation's key
 * ({@code byoos.spec.notifications.secret-key}), a random 96-bit nonce per seal, and the
 * subscription's id as additional authenticated data, stored as
 * {@code v1:<key-id>:<nonce>:<ciphertext>} (base64url). A dump of the table gives no secret; a sealed
 * value copied onto another subscription's row does not open; the key id (a short hash of the key)
 * makes a wrong or retired key a clear error instead of garbage. Previous keys
 * ({@code previous-secret-keys}) still open what they sealed, so a key can be rotated; a value without
 * the {@code v1:} prefix is a secret stored before sealing existed and is returned as it is, to be
 * sealed again ({@link Opened#stale()}).
 */
@ApplicationScoped
public class SecretCipher {

    static final String VERSION = "v1";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final String currentId;
    /** Every key that opens, by id; the current one first. */
    private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();

    /** A secret as read back: {@code stale} when it is not sealed under the current key (legacy or a previous key). */
    public record Opened(String secret, boolean stale) {
    }

    /** Why a stored secret could not be opened; the delivery records it as its attempt's error. */
    public static class UnreadableSecretException extends RuntimeException {
        UnreadableSecretException(String message) {
            super(message);
        }
    }

    @Inject
    public SecretCipher(NotificationConfig config) {
        this(config.secretKey().orElseThrow(() -> new IllegalStateException("spec-service has no key to encrypt "
                + "notification subscription secrets with: set BYOOS_SPEC_NOTIFICATIONS_SECRET_KEY "
                + "(byoos.spec.notifications.secret-key) to 32 random bytes in base64, e.g. `openssl rand -base64 32`, "
                + "kept in your secret manager like the database password (the local stack sets one; README, "
                + "'Settings')")), config.previousSecretKeys().orElse(List.of()));
    }

    SecretCipher(String currentKey, List<String> previousKeys) {
        SecretKeySpec current = key("byoos.spec.notifications.secret-key", currentKey);
        currentId = keyId(current);
        keys.put(currentId, current);
        for (int i = 0; i < previousKeys.size(); i++) {
            SecretKeySpec previous = key("byoos.spec.notifications.previous-secret-keys[" + i + "]", previousKeys.get(i));
            keys.putIfAbsent(keyId(previous), previous);
        }
    }

    /** The id of the current key, as it appears in sealed values. */
    String currentKeyId() {
        return currentId;
    }

    /** {@code secret} sealed under the current key for the subscription {@code id}. */
    public String seal(UUID id, String secret) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, keys.get(currentId), nonce, id);
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            return VERSION + ":" + currentId + ":" + ENCODER.encodeToString(nonce) + ":" + ENCODER.encodeToString(sealed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is part of every JDK", e);
        }
    }

    /**
     * The secret of subscription {@code id} from its stored value.
     *
     * @throws UnreadableSecretException if the value is malformed, sealed under an unknown key, does
     *     not authenticate for this subscription, or holds an empty secret (no HMAC key: nothing could
     *     be signed with it, and every attempt would fail the same way)
     */
    public Opened open(UUID id, String stored) {
        if (!stored.startsWith(VERSION + ":")) {
            return new Opened(nonEmpty(stored), true);
        }
        String[] parts = stored.split(":", -1);
        if (parts.length != 4) {
            throw new UnreadableSecretException("its stored secret is not of the form v1:<key-id>:<nonce>:<ciphertext>");
        }
        SecretKeySpec key = keys.get(parts[1]);
        if (key == null) {
            throw new UnreadableSecretException("its secret is encrypted under key " + parts[1] + ", which is neither "
                    + "byoos.spec.notifications.secret-key (" + currentId + ") nor one of previous-secret-keys");
        }
        try {
            byte[] nonce = Base64.getUrlDecoder().decode(parts[2]);
            byte[] sealed = Base64.getUrlDecoder().decode(parts[3]);
            if (nonce.length != NONCE_BYTES) {
                throw new UnreadableSecretException("its stored secret's nonce is not " + NONCE_BYTES + " bytes");
            }
            String secret = new String(cipher(Cipher.DECRYPT_MODE, key, nonce, id).doFinal(sealed),
                    StandardCharsets.UTF_8);
            return new Opened(nonEmpty(secret), !parts[1].equals(currentId));
        } catch (IllegalArgumentException e) {
            throw new UnreadableSecretException("its stored secret's nonce or ciphertext is not base64url");
        } catch (AEADBadTagException e) {
            throw new UnreadableSecretException("its stored secret does not decrypt for subscription " + id + " under key "
                    + parts[1] + " (altered, or copied from another subscription's row)");
        } catch (GeneralSecurityException e) {
            throw new UnreadableSecretException("its stored secret does not decrypt: " + e.getMessage());
        }
    }

    private static String nonEmpty(String secret) {
        if (secret.isEmpty()) {
            throw new UnreadableSecretException("its secret is empty");
        }
        return secret;
    }

    private static Cipher cipher(int mode, SecretKeySpec key, byte[] nonce, UUID id) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        // Binds the ciphertext to its row: moved onto another subscription it fails to authenticate.
        cipher.updateAAD(id.toString().getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    private static SecretKeySpec key(String setting, String base64) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(setting + " is not base64 (make one with `openssl rand -base64 32`)");
        }
        if (bytes.length != 32) {
            throw new IllegalStateException(setting + " is " + bytes.length + " bytes, not the 32 of an AES-256 key "
                    + "(make one with `openssl rand -base64 32`)");
        }
        return new SecretKeySpec(bytes, "AES");
    }

    /** The first 4 bytes of the key's SHA-256, in hex: names the key without revealing it. */
    private static String keyId(SecretKeySpec key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
