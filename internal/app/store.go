package app

import (
	"context"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/store"
)

// OpenStore opens the store a config names, for commands that work on it
// directly (`hookgate dead`). It is safe beside a running gateway: both
// engines take concurrent processes.
func OpenStore(ctx context.Context, s config.Storage) (store.Store, error) {
	return openStore(ctx, s)
}
