//go:build cpeer && cgo && amd64

package bench

import "testing"

// TestCPeer checks that a build with -tags cpeer has the C peer and that
// it runs here (TestPeers checks its products).
func TestCPeer(t *testing.T) {
	for _, p := range Peers() {
		if p.Name == "c" {
			if p.Err != nil {
				t.Fatal(p.Err)
			}
			t.Log(p.Info)
			return
		}
	}
	t.Fatal("built with -tags cpeer but Peers has no c")
}
