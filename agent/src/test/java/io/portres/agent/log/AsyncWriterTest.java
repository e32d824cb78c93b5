package io.portres.agent.log;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class AsyncWriterTest {

    private static LineSink.Entry line(final String text, final CountDownLatch taken, final long sleepMillis) {
        return new LineSink.Entry() {
            @Override
            public String line() {
                if (taken != null) {
                    taken.countDown();
                }
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return text;
            }

            @Override
            public int weight() {
                return 64;
            }
        };
    }

    /**
     * The events file is read in order (a bind's record after the one before it). A flush, as the shutdown hook
     * makes, while the writer thread is still busy with the first entry must not write the later ones first.
     */
    @Test
    void entriesAreWrittenInOrderEvenWhenFlushedWhileTheWriterIsBusy() throws Exception {
        LineSinkTest.Recording out = new LineSinkTest.Recording();
        LineSink sink = LineSink.of(out, "test");
        CountDownLatch firstTaken = new CountDownLatch(1);
        sink.submit(line("1", firstTaken, 200));
        for (int i = 2; i <= 5; i++) {
            sink.submit(line(String.valueOf(i), null, 0));
        }
        firstTaken.await();
        AsyncWriter.flush(5000);
        assertThat(out.lines()).containsExactly("1", "2", "3", "4", "5");
        assertThat(AsyncWriter.queuedBytes()).isZero();
    }
}
