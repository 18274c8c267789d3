package io.github.libvirthooks.features.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {
    @Test
    void theStandardsTestVectors() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(""));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", hex("abc"));
        assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    }

    @Test
    void agreesWithTheJdkForEveryLengthAcrossThreeBlocks() throws Exception {
        Random random = new Random(21);
        for (int length = 0; length <= 200; length++) {
            byte[] message = new byte[length];
            random.nextBytes(message);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(message), Sha256.digest(message), "length " + length);
        }
    }

    @Test
    void agreesWithTheJdkForVmNamesOutsideAscii() throws Exception {
        for (String name : new String[] {"büro", "win 10 (gaming)", "日本語の仮想マシン", "\u0000\uffff"}) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(bytes), Sha256.digest(bytes), name);
        }
    }

    private static String hex(String text) {
        return HexFormat.of().formatHex(Sha256.digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
