module github.com/idcoord/idcoord/bench

go 1.26.8

require (
	github.com/bwmarrin/snowflake v0.3.0
	github.com/idcoord/idcoord v0.0.0
	github.com/sony/sonyflake/v2 v2.2.0
)

replace github.com/idcoord/idcoord => ../
