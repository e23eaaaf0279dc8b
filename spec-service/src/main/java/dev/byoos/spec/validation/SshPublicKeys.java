package dev.byoos.spec.validation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks one OpenSSH {@code authorized_keys} line: a key type, its base64 blob (whose first field
 * must name the same type) and an optional comment. Options such as {@code from=} or
 * {@code command=} are refused: they change what a key may do, and a spec is not the place for that.
 */
final class SshPublicKeys {

    static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com");
    private static final Pattern LINE = Pattern.compile("(\\S+) ([A-Za-z0-9+/]+={0,2})( [\\x20-\\x7E]{0,256})?");
    private static final int MAX_BLOB_BYTES = 16 * 1024;

    private SshPublicKeys() {
    }

    /** @return why the line is not an acceptable public key, or null when it is */
    static String problem(String line) {
        Matcher matcher = LINE.matcher(line);
        if (!matcher.matches()) {
            return "is not an OpenSSH public key line ('<type> <base64> [comment]', no options, one line)";
        }
        String type = matcher.group(1);
        if (!TYPES.contains(type)) {
            return "key type '" + type + "' is not one of " + TYPES.stream().sorted().toList();
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(matcher.group(2));
        } catch (IllegalArgumentException e) {
            return "the key data is not valid base64";
        }
        if (blob.length > MAX_BLOB_BYTES) {
            return "the key data is longer than any real key";
        }
        ByteBuffer buffer = ByteBuffer.wrap(blob);
        if (buffer.remaining() < 4) {
            return "the key data is truncated";
        }
        int length = buffer.getInt();
        if (length <= 0 || length > buffer.remaining()) {
            return "the key data is truncated";
        }
        byte[] embedded = new byte[length];
        buffer.get(embedded);
        if (!type.equals(new String(embedded, StandardCharsets.US_ASCII))) {
            return "the key data is a '" + new String(embedded, StandardCharsets.US_ASCII).replaceAll("[^\\x20-\\x7E]", "?")
                    + "' key, not '" + type + "'";
        }
        if (!buffer.hasRemaining()) {
            return "the key data holds no key";
        }
        return null;
    }
}
