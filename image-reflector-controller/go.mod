module github.com/ferry-gitops/ferry/image-reflector-controller

go 1.26.0

require github.com/ferry-gitops/ferry/shared v0.0.0

replace github.com/ferry-gitops/ferry/shared => ../shared
