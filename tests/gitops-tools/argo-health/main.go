// Command argo-health assesses one object's health with a Lua health script the way Argo CD does
// for a resource.customizations.health.<group>_<kind> entry in argocd-cm.
//
//	argo-health [--use-open-libs] --script FILE [OBJECT]   object as JSON (or YAML) from OBJECT or stdin
//
// It prints one JSON line, {"status": "...", "message": "..."} plus "error" when the script failed,
// which Argo CD shows as status Unknown with the error as message. What Argo CD does
// (argo-cd util/lua, gitops-engine pkg/health), and so this command:
//   - an object being deleted is Progressing "Pending deletion" without running the script;
//   - the script runs in a fresh gopher-lua state with the standard libraries skipped unless the
//     customization sets useOpenLibs; only package, base and table are opened, plus a "safe" os
//     (time and date only) that Argo registers into the table module and preloads for require("os");
//   - the object is the global `obj`, decoded from JSON as client-go does (integers as numbers);
//   - the run is cancelled after one second;
//   - the value left on the stack must be a table (encoded with layeh.com/gopher-json and read as
//     {status, message}) or nil (an empty status); an empty table is an empty status too; a status
//     other than Healthy, Progressing, Degraded, Suspended, Missing or Unknown becomes Unknown with
//     "Lua returned an invalid health status".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"

	"github.com/eci-operator/eci-operator/tests/gitops-tools/internal/object"
)

// hookFinalizer marks Argo CD hooks, whose deletion Argo still assesses with the script.
const hookFinalizer = "argocd.argoproj.io/hook-finalizer"

const invalidHealthStatus = "Lua returned an invalid health status"

var validStatus = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

type healthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

type output struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

func main() {
	fs := flag.NewFlagSet("argo-health", flag.ExitOnError)
	scriptPath := fs.String("script", "", "the Lua health script (required)")
	openLibs := fs.Bool("use-open-libs", false, "open every standard library (the customization's useOpenLibs)")
	_ = fs.Parse(os.Args[1:])
	if *scriptPath == "" || fs.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: argo-health [--use-open-libs] --script FILE [OBJECT]")
		os.Exit(2)
	}
	script, err := os.ReadFile(*scriptPath)
	if err != nil {
		fail(err)
	}
	obj, err := object.Read(fs.Args(), os.Stdin)
	if err != nil {
		fail(err)
	}
	out := output{}
	health, err := resourceHealth(obj, string(script), *openLibs)
	if err != nil {
		// Argo CD shows a failing script as Unknown with the error as message.
		out = output{Status: "Unknown", Message: err.Error(), Error: err.Error()}
	} else {
		out.Status, out.Message = health.Status, health.Message
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "argo-health:", err)
	os.Exit(1)
}

// resourceHealth is gitops-engine's GetResourceHealth with the script as the health override.
func resourceHealth(obj *unstructured.Unstructured, script string, openLibs bool) (*healthStatus, error) {
	if obj.GetDeletionTimestamp() != nil && !hasFinalizer(obj, hookFinalizer) {
		return &healthStatus{Status: "Progressing", Message: "Pending deletion"}, nil
	}
	return executeHealthLua(obj, script, openLibs)
}

func hasFinalizer(obj *unstructured.Unstructured, name string) bool {
	for _, f := range obj.GetFinalizers() {
		if f == name {
			return true
		}
	}
	return false
}

func executeHealthLua(obj *unstructured.Unstructured, script string, openLibs bool) (*healthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	l.PreloadModule(lua.OsLibName, safeOsLoader)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("actionParams", l.CreateTable(0, 0))
	l.SetGlobal("obj", decodeValue(l, obj.Object))

	fn, err := l.LoadString(script)
	if err == nil {
		l.Push(fn)
		err = l.PCall(0, lua.MultRet, nil)
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
		apiErr.StackTrace = "" // Argo CD drops the stack trace from what users see
		err = apiErr
	}
	if err != nil {
		return nil, err
	}

	ret := l.Get(-1)
	switch ret.Type() {
	case lua.LTTable:
		data, err := luajson.Encode(ret)
		if err != nil {
			return nil, err
		}
		health := &healthStatus{}
		if err := json.Unmarshal(data, health); err != nil {
			// An empty table encodes as [] and means an empty status.
			typeErr := &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[*healthStatus]()}
			if errors.As(err, &typeErr) {
				return &healthStatus{}, nil
			}
			return nil, err
		}
		if !validStatus[health.Status] {
			return &healthStatus{Status: "Unknown", Message: invalidHealthStatus}, nil
		}
		return health, nil
	case lua.LTNil:
		return &healthStatus{}, nil
	}
	return nil, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
}

// safeOsFuncs are os.time and os.date from gopher-lua's own os library: the only two Argo CD allows.
func safeOsFuncs() map[string]lua.LGFunction {
	full := lua.NewState()
	defer full.Close()
	funcs := map[string]lua.LGFunction{}
	for _, name := range []string{"time", "date"} {
		funcs[name] = full.GetField(full.GetGlobal(lua.OsLibName), name).(*lua.LFunction).GFunction
	}
	return funcs
}

// openSafeOs registers the safe functions as Argo CD's OpenSafeOs does: into the module named
// lua.TabLibName ("table"), so the global os stays undefined and scripts use require("os").
func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.TabLibName, safeOsFuncs()))
	return 1
}

func safeOsLoader(l *lua.LState) int {
	l.Push(l.SetFuncs(l.NewTable(), safeOsFuncs()))
	return 1
}

// decodeValue turns a decoded JSON value into Lua as Argo CD does; anything else becomes nil.
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}
