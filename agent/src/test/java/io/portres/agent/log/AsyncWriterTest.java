package io.portres.agent.log;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class AsyncWriterTest {

    /**
     * The events file is read in order (a bind's record after the one before it). A flush, as the shutdown hook
     * makes, while the writer thread is still busy with the first entry must not write the later ones first.
     */
    @Test
    void entriesAreWrittenInOrderEvenWhenFlushedWhileTheWriterIsBusy() throws Exception {
        final List<Integer> written = Collections.synchronizedList(new ArrayList<Integer>());
        final CountDownLatch firstTaken = new CountDownLatch(1);
        AsyncWriter.submit(() -> {
            firstTaken.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.add(1);
        });
        for (int i = 2; i <= 5; i++) {
            final int n = i;
            AsyncWriter.submit(() -> written.add(n));
        }
        firstTaken.await();
        AsyncWriter.flush(5000);
        assertThat(written).containsExactly(1, 2, 3, 4, 5);
    }
}
