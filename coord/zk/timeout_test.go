package zkcoord

import (
	"strings"
	"testing"
	"time"
)

func TestCheckSessionTimeout(t *testing.T) {
	tests := []struct {
		d    time.Duration
		says string // a part of the error; "" for none
	}{
		{DefaultSessionTimeout, ""},
		{MinSessionTimeout, ""},
		{MaxSessionTimeout, ""},
		{0, "must be at least 1ms"},
		{-time.Second, "must be at least 1ms"},
		{1500 * time.Microsecond, "must be whole milliseconds"},
		{MaxSessionTimeout + time.Millisecond, "must be at most 1h"},
	}
	for _, tt := range tests {
		err := CheckSessionTimeout(tt.d)
		switch {
		case tt.says == "" && err != nil:
			t.Errorf("CheckSessionTimeout(%s) = %v, want nil", tt.d, err)
		case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
			t.Errorf("CheckSessionTimeout(%s) = %v, want an error saying %q", tt.d, err, tt.says)
		}
	}
}
