// Package progress draws the progress bar of lowrank train.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// Bar returns an rnn.TrainConfig.Progress callback that draws a bar on w
// when w is a terminal (logs and CI get the final metrics only). A call
// with Epoch 0 ends the bar.
func Bar(w io.Writer, desc string) func(rnn.Progress) {
	if f, ok := w.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return func(rnn.Progress) {}
	}
	var bar *progressbar.ProgressBar
	return func(p rnn.Progress) {
		switch {
		case p.Epoch == 0 && bar != nil:
			_ = bar.Finish()
			fmt.Fprintln(w)
		case p.Epoch > 0 && bar == nil:
			bar = progressbar.NewOptions64(int64(p.Epochs*p.Batches), progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetWidth(30))
			fallthrough
		case p.Epoch > 0:
			bar.Describe(fmt.Sprintf("%s epoch %d/%d loss %.4f", desc, p.Epoch, p.Epochs, p.EpochMeanLoss))
			_ = bar.Add(1)
		}
	}
}
