package dev.byoos.spec.validation;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Property: whatever the input, parsing and validation either accept the spec or reject it with
 * violations. Any other exception would surface as a 500. Seeded, so a failure reproduces; the
 * failing input is printed.
 */
class SpecFuzzTest {

    private static final long SEED = 20261125L;
    private static final int BYTE_MUTATIONS = 3000;
    private static final int TREE_MUTATIONS = 3000;

    private final SpecParser parser = new SpecParser();
    private final SpecValidator validator = new SpecValidator(SpecValidatorTest.TEST_HOSTS, java.time.Clock.systemUTC());
    private final Random random = new Random(SEED);

    /** Seeds: the smallest valid spec, and one with every customization (keys, PEM, scripts). */
    private static final List<String> SEEDS = List.of(SpecValidatorTest.VALID, InvalidSpecCorpus.FULL);

    @Test
    void mutatedDocumentsAreAcceptedOrRejectedNeverCrash() {
        int rejected = 0;
        for (int i = 0; i < BYTE_MUTATIONS; i++) {
            byte[] input = mutateBytes(SEEDS.get(i % SEEDS.size()).getBytes(StandardCharsets.UTF_8));
            for (SpecParser.Format format : SpecParser.Format.values()) {
                rejected += acceptedOrRejected(input, format) ? 0 : 1;
            }
        }
        assertTrue(rejected > 0, "the mutations reach the rejection paths");
    }

    @Test
    void mutatedTreesAreAcceptedOrRejectedNeverCrash() {
        List<JsonNode> valid = SEEDS.stream()
                .map(seed -> parser.parse(seed.getBytes(StandardCharsets.UTF_8), SpecParser.Format.YAML)).toList();
        for (int i = 0; i < TREE_MUTATIONS; i++) {
            JsonNode tree = valid.get(i % valid.size()).deepCopy();
            int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                tree = mutateTree(tree);
            }
            byte[] json = tree.toString().getBytes(StandardCharsets.UTF_8);
            acceptedOrRejected(json, SpecParser.Format.JSON);
        }
    }

    private boolean acceptedOrRejected(byte[] input, SpecParser.Format format) {
        try {
            validator.validate(parser.parse(input, format));
            return true;
        } catch (SpecRejectedException expected) {
            expected.violations().forEach(v -> {
                if (v.pointer() == null || v.code() == null || v.message() == null) {
                    fail("incomplete violation " + v + " for input:\n" + new String(input, StandardCharsets.UTF_8));
                }
            });
            return false;
        } catch (RuntimeException e) {
            throw new AssertionError("crashed with " + e + " on " + format + " input:\n"
                    + new String(input, StandardCharsets.UTF_8), e);
        }
    }

    private byte[] mutateBytes(byte[] input) {
        byte[] output = input.clone();
        switch (random.nextInt(5)) {
            case 0 -> output[random.nextInt(output.length)] = (byte) random.nextInt(256);
            case 1 -> output = java.util.Arrays.copyOf(output, random.nextInt(output.length));
            case 2 -> {
                String[] tokens = {"&a ", "*a", "{", "}", "[", "]", ": ", "- ", "\n  ", "!!binary ", "~", "'", "\"",
                    "\t", "%YAML 1.1\n", "---\n", "\u0000", "\uFEFF", "? ", "|\n", "1e999", "0x1F"};
                String text = new String(output, StandardCharsets.UTF_8);
                int at = random.nextInt(text.length() + 1);
                output = (text.substring(0, at) + tokens[random.nextInt(tokens.length)] + text.substring(at))
                        .getBytes(StandardCharsets.UTF_8);
            }
            case 3 -> {
                int from = random.nextInt(output.length);
                int to = Math.min(output.length, from + random.nextInt(40));
                byte[] cut = new byte[output.length - (to - from)];
                System.arraycopy(output, 0, cut, 0, from);
                System.arraycopy(output, to, cut, from, output.length - to);
                output = cut;
            }
            default -> {
                for (int i = 0; i < 8; i++) {
                    output[random.nextInt(output.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
        }
        return output;
    }

    /** Replaces, removes or adds one node somewhere in the tree with a value of a random type. */
    private JsonNode mutateTree(JsonNode root) {
        List<JsonNode> containers = new ArrayList<>();
        collectContainers(root, containers);
        if (containers.isEmpty()) {
            return randomValue(0);
        }
        JsonNode target = containers.get(random.nextInt(containers.size()));
        JsonNode value = randomValue(0);
        if (target instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            if (names.isEmpty() || random.nextInt(4) == 0) {
                object.set(random.nextBoolean() ? "extra" + random.nextInt(9) : "", value);
            } else if (random.nextInt(3) == 0) {
                object.remove(names.get(random.nextInt(names.size())));
            } else {
                object.set(names.get(random.nextInt(names.size())), value);
            }
        } else if (target instanceof ArrayNode array) {
            if (array.isEmpty() || random.nextBoolean()) {
                array.add(value);
            } else {
                array.set(random.nextInt(array.size()), value);
            }
        }
        return random.nextInt(50) == 0 ? randomValue(0) : root;
    }

    private JsonNode randomValue(int depth) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        return switch (depth > 3 ? random.nextInt(5) : random.nextInt(8)) {
            case 0 -> nodes.nullNode();
            case 1 -> nodes.numberNode(random.nextLong());
            case 2 -> nodes.booleanNode(random.nextBoolean());
            case 3 -> nodes.textNode(randomText());
            case 4 -> nodes.numberNode(random.nextDouble() * 1e300);
            case 5 -> {
                ArrayNode array = nodes.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.add(randomValue(depth + 1));
                }
                yield array;
            }
            default -> {
                ObjectNode object = nodes.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    object.set(randomText(), randomValue(depth + 1));
                }
                yield object;
            }
        };
    }

    private String randomText() {
        String[] samples = {"", " ", "qemu", "/etc/../x", "/proc/x", "1.30.4", "0644", "a/b", "~1", "\u0000",
            "ÿ", "😀", "x".repeat(300), "name", "targets", "cloud", "format", "-", "0", "1.0.0"};
        return samples[random.nextInt(samples.length)];
    }

    private static void collectContainers(JsonNode node, List<JsonNode> into) {
        if (node.isContainerNode()) {
            into.add(node);
            for (Iterator<JsonNode> children = node.elements(); children.hasNext();) {
                collectContainers(children.next(), into);
            }
        }
    }
}
